using System.Runtime.CompilerServices;
using MainlineDht.Bencode;

// Over 400 lines on purpose: the single pass over a datagram keeps its position in locals through one
// method per dictionary it knows (top level, a, r, e); split further, the hot loop would be split too.

namespace MainlineDht.Protocol;

public static partial class KrpcCodec
{
    /// <summary>A value just scanned: a consumed string or integer, or the first byte of a list or dictionary.</summary>
    private struct Value
    {
        public BencodeTokenType Kind;
        public int TokenStart;
        public int Start;
        public int Length;
        public long Integer;

        public readonly Slice Slice => new(Start + 1, Length);
    }

    private ref partial struct Decoder
    {
        // The scan keeps its position in a local and reads strings and integers in line; only
        // nested values (want, values, e, v, unknown keys) go through helpers, which return the
        // position after what they read, or -1. Every malformation is reported exactly as
        // BencodeReader reports it, at the same offset.
        private bool ReadTopLevel(out KrpcDecodeError error)
        {
            ReadOnlySpan<byte> data = _data;
            if (data.IsEmpty || data[0] != (byte)'d')
            {
                // Not a dictionary: the general reader says what it is instead.
                var reader = new BencodeReader(data, ReaderOptions);
                error = reader.TryRead()
                    ? Drop("a KRPC message is a bencoded dictionary", 0)
                    : Drop(BencodeException.Describe(reader.Error), reader.ErrorOffset);
                return false;
            }

            int p = 1;
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return Fail(BencodeError.UnterminatedContainer, p, out error);
                }

                if (data[p] == (byte)'e')
                {
                    p++;
                    break;
                }

                if (!ReadKey(data, ref p, out ReadOnlySpan<byte> key) || !ReadValue(data, ref p, out Value value))
                {
                    return Fail(out error);
                }

                p = key.Length switch
                {
                    1 => key[0] switch
                    {
                        (byte)'t' => TopString(ref _t, value, p),
                        (byte)'y' => TopString(ref _y, value, p),
                        (byte)'q' => TopString(ref _q, value, p),
                        (byte)'v' => TopString(ref _v, value, p),
                        (byte)'a' => TopDictionary(ref _args, ref _hasArgs, isArgs: true, value, p),
                        (byte)'r' => TopDictionary(ref _response, ref _hasResponse, isArgs: false, value, p),
                        (byte)'e' => TopError(value, p),
                        _ => Skip(value, p, TopDepth),
                    },
                    2 when key.SequenceEqual("ip"u8) => TopString(ref _ip, value, p),
                    2 when key.SequenceEqual("ro"u8) => TopInteger(ref _ro, value, p),
                    _ => Skip(value, p, TopDepth),
                };

                if (p < 0)
                {
                    return Fail(out error);
                }
            }

            if (p < data.Length)
            {
                return Fail(BencodeError.TrailingBytes, p, out error);
            }

            error = default;
            return true;
        }

        /// <summary>Reads a dictionary key; the caller has checked that a byte is there and is not <c>e</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool ReadKey(ReadOnlySpan<byte> data, ref int p, out ReadOnlySpan<byte> key)
        {
            key = default;
            if ((uint)(data[p] - '0') > 9)
            {
                return Failed(BencodeError.KeyNotString, p);
            }

            BencodeError e = BencodeReader.ParseString(data, ref p, out int start, out int length, out int errorOffset);
            if (e != BencodeError.None)
            {
                return Failed(e, errorOffset);
            }

            key = data.Slice(start, length);
            return true;
        }

        /// <summary>
        /// Reads the value after a key. Strings and integers are consumed; a list or dictionary is
        /// left for the caller, <paramref name="p"/> on its first byte.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool ReadValue(ReadOnlySpan<byte> data, ref int p, out Value value)
        {
            value = new Value { TokenStart = p };
            if ((uint)p >= (uint)data.Length)
            {
                return Failed(BencodeError.UnterminatedContainer, p);
            }

            return data[p] == (byte)'e' ? Failed(BencodeError.MissingValue, p) : ReadElement(data, ref p, ref value);
        }

        /// <summary>Reads a value, like <see cref="ReadValue"/>, where <c>e</c> has been ruled out.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool ReadElement(ReadOnlySpan<byte> data, ref int p, ref Value value)
        {
            byte b = data[p];
            BencodeError e;
            int errorOffset;
            if ((uint)(b - '0') <= 9)
            {
                value.Kind = BencodeTokenType.String;
                e = BencodeReader.ParseString(data, ref p, out value.Start, out value.Length, out errorOffset);
            }
            else if (b == (byte)'i')
            {
                value.Kind = BencodeTokenType.Integer;
                e = BencodeReader.ParseInteger(data, ref p, out value.Integer, out errorOffset);
            }
            else if (b is (byte)'l' or (byte)'d')
            {
                value.Kind = b == (byte)'l' ? BencodeTokenType.StartList : BencodeTokenType.StartDictionary;
                return true;
            }
            else
            {
                return Failed(BencodeError.InvalidToken, p);
            }

            return e == BencodeError.None || Failed(e, errorOffset);
        }

        /// <summary>
        /// The position after <paramref name="value"/>: <paramref name="p"/> for a string or an
        /// integer (already consumed), after its end for a list or dictionary.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Skip(in Value value, int p, int depth) =>
            value.Kind is BencodeTokenType.StartList or BencodeTokenType.StartDictionary ? SkipContainer(p, depth) : p;

        /// <summary>Skips the list or dictionary at <paramref name="p"/>, inside <paramref name="depth"/> open containers.</summary>
        private int SkipContainer(int p, int depth)
        {
            var reader = new BencodeReader(_data, p, new BencodeReaderOptions { MaxDepth = ReaderOptions.MaxDepth - depth });
            if (reader.TryRead() && reader.TrySkip())
            {
                return reader.BytesConsumed;
            }

            return FailedAt(reader.Error, reader.ErrorOffset);
        }

        // Top-level fields of the wrong type are skipped: the message is then judged by what is missing.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int TopString(ref Slice slot, in Value value, int p)
        {
            if (value.Kind == BencodeTokenType.String)
            {
                slot = value.Slice;
                return p;
            }

            return Skip(value, p, TopDepth);
        }

        private int TopInteger(ref long slot, in Value value, int p)
        {
            if (value.Kind == BencodeTokenType.Integer)
            {
                slot = value.Integer;
                return p;
            }

            return Skip(value, p, TopDepth);
        }

        private int TopDictionary(ref DictFields fields, ref bool present, bool isArgs, in Value value, int p)
        {
            if (value.Kind != BencodeTokenType.StartDictionary)
            {
                if (isArgs)
                {
                    _argsWrongType = true;
                    _argsOffset = value.TokenStart;
                }

                return Skip(value, p, TopDepth);
            }

            present = true;
            return ReadFields(ref fields, p);
        }

        private int TopError(in Value value, int p)
        {
            if (value.Kind != BencodeTokenType.StartList)
            {
                return Skip(value, p, TopDepth);
            }

            ReadOnlySpan<byte> data = _data;
            p++; // 'l'
            int index = 0;
            bool codeSeen = false;
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return FailedAt(BencodeError.UnterminatedContainer, p);
                }

                if (data[p] == (byte)'e')
                {
                    _hasError = codeSeen;
                    return p + 1;
                }

                var element = new Value { TokenStart = p };
                if (!ReadElement(data, ref p, ref element))
                {
                    return -1;
                }

                if (index == 0 && element.Kind == BencodeTokenType.Integer)
                {
                    _errorCode = element.Integer;
                    codeSeen = true;
                }
                else if (index == 1 && element.Kind == BencodeTokenType.String)
                {
                    _errorMessage = element.Slice;
                }
                else if ((p = Skip(element, p, FieldDepth)) < 0)
                {
                    return -1;
                }

                index++;
            }
        }

        /// <summary>Reads the <c>a</c> or <c>r</c> dictionary at <paramref name="p"/>.</summary>
        private int ReadFields(ref DictFields f, int p)
        {
            ReadOnlySpan<byte> data = _data;
            p++; // 'd'
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return FailedAt(BencodeError.UnterminatedContainer, p);
                }

                if (data[p] == (byte)'e')
                {
                    return p + 1;
                }

                if (!ReadKey(data, ref p, out ReadOnlySpan<byte> key) || !ReadValue(data, ref p, out Value v))
                {
                    return -1;
                }

                p = key.Length switch
                {
                    1 => key[0] switch
                    {
                        (byte)'k' => String(ref f, ref f.Key, "'k' must be a string", v, p),
                        (byte)'v' => AnyValue(ref f.Value, v, p),
                        _ => Skip(v, p, FieldDepth),
                    },
                    2 when key.SequenceEqual("id"u8) => String(ref f, ref f.Id, "'id' must be a string", v, p),
                    3 when key.SequenceEqual("cas"u8) => Integer(ref f, ref f.Cas, Has.Cas, "'cas' must be an integer", v, p),
                    3 when key.SequenceEqual("num"u8) => Integer(ref f, ref f.Num, Has.Num, "'num' must be an integer", v, p),
                    3 when key.SequenceEqual("seq"u8) => Integer(ref f, ref f.Seq, Has.Seq, "'seq' must be an integer", v, p),
                    3 when key.SequenceEqual("sig"u8) => String(ref f, ref f.Signature, "'sig' must be a string", v, p),
                    4 when key.SequenceEqual("port"u8) => Integer(ref f, ref f.Port, Has.Port, "'port' must be an integer", v, p),
                    4 when key.SequenceEqual("salt"u8) => String(ref f, ref f.Salt, "'salt' must be a string", v, p),
                    4 when key.SequenceEqual("seed"u8) => Integer(ref f, ref f.Seed, Has.Seed, "'seed' must be an integer", v, p),
                    4 when key.SequenceEqual("want"u8) => Want(ref f, v, p),
                    4 when key.SequenceEqual("BFsd"u8) => String(ref f, ref f.SeedsFilter, "'BFsd' must be a string", v, p),
                    4 when key.SequenceEqual("BFpe"u8) => String(ref f, ref f.PeersFilter, "'BFpe' must be a string", v, p),
                    5 when key.SequenceEqual("nodes"u8) => String(ref f, ref f.Nodes, "'nodes' must be a string", v, p),
                    5 when key.SequenceEqual("token"u8) => String(ref f, ref f.Token, "'token' must be a string", v, p),
                    6 when key.SequenceEqual("target"u8) => String(ref f, ref f.Target, "'target' must be a string", v, p),
                    6 when key.SequenceEqual("values"u8) => Values(ref f, v, p),
                    6 when key.SequenceEqual("nodes6"u8) => String(ref f, ref f.Nodes6, "'nodes6' must be a string", v, p),
                    6 when key.SequenceEqual("noseed"u8) => Integer(ref f, ref f.NoSeed, Has.NoSeed, "'noseed' must be an integer", v, p),
                    6 when key.SequenceEqual("scrape"u8) => Integer(ref f, ref f.Scrape, Has.Scrape, "'scrape' must be an integer", v, p),
                    7 when key.SequenceEqual("samples"u8) => String(ref f, ref f.Samples, "'samples' must be a string", v, p),
                    8 when key.SequenceEqual("interval"u8) => Integer(ref f, ref f.Interval, Has.Interval, "'interval' must be an integer", v, p),
                    9 when key.SequenceEqual("info_hash"u8) => String(ref f, ref f.InfoHash, "'info_hash' must be a string", v, p),
                    12 when key.SequenceEqual("implied_port"u8) => Integer(ref f, ref f.ImpliedPort, Has.ImpliedPort, "'implied_port' must be an integer", v, p),
                    _ => Skip(v, p, FieldDepth),
                };

                if (p < 0)
                {
                    return -1;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int String(ref DictFields f, ref Slice slot, string problem, in Value value, int p)
        {
            if (value.Kind == BencodeTokenType.String)
            {
                slot = value.Slice;
                return p;
            }

            f.Note(problem, value.TokenStart);
            return Skip(value, p, FieldDepth);
        }

        private int Integer(ref DictFields f, ref long slot, Has flag, string problem, in Value value, int p)
        {
            if (value.Kind == BencodeTokenType.Integer)
            {
                slot = value.Integer;
                f.Has |= flag;
                return p;
            }

            f.Note(problem, value.TokenStart);
            return Skip(value, p, FieldDepth);
        }

        // BEP 44's 'v' is kept as raw bencode, whatever its type.
        private int AnyValue(ref Slice slot, in Value value, int p)
        {
            p = Skip(value, p, FieldDepth);
            if (p >= 0)
            {
                slot = new Slice(value.TokenStart + 1, p - value.TokenStart);
            }

            return p;
        }

        private int Want(ref DictFields f, in Value value, int p)
        {
            if (value.Kind != BencodeTokenType.StartList)
            {
                f.Note("'want' must be a list", value.TokenStart);
                return Skip(value, p, FieldDepth);
            }

            ReadOnlySpan<byte> data = _data;
            p++; // 'l'
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return FailedAt(BencodeError.UnterminatedContainer, p);
                }

                if (data[p] == (byte)'e')
                {
                    return p + 1;
                }

                var element = new Value { TokenStart = p };
                if (!ReadElement(data, ref p, ref element))
                {
                    return -1;
                }

                if (element.Kind == BencodeTokenType.String && element.Length == 2 && data[element.Start] == (byte)'n')
                {
                    f.Want |= data[element.Start + 1] switch
                    {
                        (byte)'4' => WantFamilies.IPv4,
                        (byte)'6' => WantFamilies.IPv6,
                        _ => WantFamilies.None,
                    };
                }
                else if ((p = Skip(element, p, ListDepth)) < 0)
                {
                    return -1;
                }
            }
        }

        private int Values(ref DictFields f, in Value value, int p)
        {
            if (value.Kind != BencodeTokenType.StartList)
            {
                f.Note("'values' must be a list", value.TokenStart);
                return Skip(value, p, FieldDepth);
            }

            ReadOnlySpan<byte> data = _data;
            int start = p;
            int count = 0;
            p++; // 'l'
            while (true)
            {
                if ((uint)p >= (uint)data.Length)
                {
                    return FailedAt(BencodeError.UnterminatedContainer, p);
                }

                byte b = data[p];
                if (b == (byte)'e')
                {
                    p++;
                    f.Values = new Slice(start + 1, p - start);
                    f.ValuesCount = count;
                    return p;
                }

                if (b == (byte)'6' && p + 8 <= data.Length && data[p + 1] == (byte)':')
                {
                    // The common case, an IPv4 compact peer "6:xxxxxx", needs no further checks.
                    p += 8;
                    count++;
                    continue;
                }

                var element = new Value { TokenStart = p };
                if (!ReadElement(data, ref p, ref element))
                {
                    return -1;
                }

                if (element.Kind == BencodeTokenType.String)
                {
                    count++;
                    continue;
                }

                f.Note("'values' must hold strings", element.TokenStart);
                if ((p = Skip(element, p, ListDepth)) < 0)
                {
                    return -1;
                }
            }
        }
    }
}

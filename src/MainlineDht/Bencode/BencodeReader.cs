using System.Runtime.CompilerServices;

// Over 400 lines on purpose: one ref struct state machine over a span; its TryRead hot path, the
// validity rules it enforces and the error it reports read best side by side.

namespace MainlineDht.Bencode;

/// <summary>
/// A forward-only, allocation-free reader of bencode (BEP 3) over a span of bytes. Call
/// <see cref="TryRead"/> (untrusted input: no exception, inspect <see cref="Error"/>) or
/// <see cref="Read"/> (throws <see cref="BencodeException"/>) to step from token to token.
/// Byte strings are exposed as slices of the input, never copied or decoded as text.
/// </summary>
/// <remarks>
/// Rejected, with the byte offset and a <see cref="BencodeError"/>: leading zeros, <c>-0</c>,
/// integers outside 64 bits, string lengths past the end, unterminated containers, bytes after the
/// top-level value, nesting deeper than <see cref="BencodeReaderOptions.MaxDepth"/>, keys that are
/// not strings and, in strict mode, unsorted or duplicate keys. Strict mode keeps the previous key of
/// each open dictionary in one small array; the default mode allocates nothing.
/// </remarks>
public ref struct BencodeReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxDepth;
    private readonly bool _strict;
    private int _pos;
    private int _depth;
    private ulong _dictionaryBits; // bit (d - 1) is set when the container at depth d is a dictionary
    private bool _expectKey;       // the innermost container is a dictionary awaiting a key
    private bool _done;            // the top-level value is complete
    private int[]? _previousKeys;  // strict mode: start and length of the last key at each depth
    private int _tokenStart;
    private int _valueStart;
    private int _valueLength;
    private long _integer;
    private BencodeTokenType _tokenType;
    private BencodeError _error;
    private int _errorOffset;

    /// <summary>Creates a reader over <paramref name="data"/>, which must hold one bencoded value.</summary>
    public BencodeReader(ReadOnlySpan<byte> data, BencodeReaderOptions options = default)
    {
        _data = data;
        _maxDepth = options.MaxDepth;
        _strict = options.Strict;
    }

    /// <summary>
    /// Creates a reader that starts at <paramref name="start"/>: the value there is read as the
    /// top-level one, and offsets and errors are those of the whole <paramref name="data"/>.
    /// </summary>
    internal BencodeReader(ReadOnlySpan<byte> data, int start, BencodeReaderOptions options)
        : this(data, options) => _pos = start;

    /// <summary>The token the reader is on.</summary>
    public readonly BencodeTokenType TokenType => _tokenType;

    /// <summary>The bytes of the current <see cref="BencodeTokenType.String"/> or <see cref="BencodeTokenType.Key"/>.</summary>
    public readonly ReadOnlySpan<byte> ValueSpan => _data.Slice(_valueStart, _valueLength);

    /// <summary>Where the current string's bytes start in the input.</summary>
    public readonly int ValueStart => _valueStart;

    /// <summary>How many bytes the current string has.</summary>
    public readonly int ValueLength => _valueLength;

    /// <summary>The value of the current <see cref="BencodeTokenType.Integer"/>.</summary>
    public readonly long IntegerValue => _integer;

    /// <summary>The offset of the first byte of the current token.</summary>
    public readonly int TokenStartIndex => _tokenStart;

    /// <summary>How many bytes of the input have been consumed.</summary>
    public readonly int BytesConsumed => _pos;

    /// <summary>How many lists and dictionaries are open.</summary>
    public readonly int CurrentDepth => _depth;

    /// <summary>Why reading stopped, or <see cref="BencodeError.None"/>.</summary>
    public readonly BencodeError Error => _error;

    /// <summary>The offset of the byte that caused <see cref="Error"/>.</summary>
    public readonly int ErrorOffset => _errorOffset;

    /// <summary>True once the top-level value has been read completely.</summary>
    public readonly bool IsComplete => _done;

    /// <summary>
    /// Advances to the next token. Returns false at the end of the input (with
    /// <see cref="Error"/> = <see cref="BencodeError.None"/>) or when the input is malformed (with
    /// <see cref="Error"/> and <see cref="ErrorOffset"/> set); never throws.
    /// </summary>
    public bool TryRead()
    {
        if (_error != BencodeError.None)
        {
            return false;
        }

        if (_done)
        {
            _tokenType = BencodeTokenType.None;
            return _pos < _data.Length ? Fail(BencodeError.TrailingBytes, _pos) : false;
        }

        if ((uint)_pos >= (uint)_data.Length)
        {
            return Fail(_depth > 0 ? BencodeError.UnterminatedContainer : BencodeError.UnexpectedEnd, _pos);
        }

        byte b = _data[_pos];
        _tokenStart = _pos;

        if (b == (byte)'e')
        {
            if (_depth == 0)
            {
                return Fail(BencodeError.InvalidToken, _pos);
            }

            bool isDictionary = IsDictionary(_depth);
            if (isDictionary && !_expectKey)
            {
                return Fail(BencodeError.MissingValue, _pos);
            }

            _pos++;
            _depth--;
            _tokenType = isDictionary ? BencodeTokenType.EndDictionary : BencodeTokenType.EndList;
            AfterValue();
            return true;
        }

        if (_expectKey)
        {
            if ((uint)(b - '0') > 9)
            {
                return Fail(BencodeError.KeyNotString, _pos);
            }

            if (!ReadString())
            {
                return false;
            }

            if (_strict && !CheckKeyOrder())
            {
                return false;
            }

            _tokenType = BencodeTokenType.Key;
            _expectKey = false;
            return true;
        }

        switch (b)
        {
            case (byte)'i':
                if (!ReadInteger())
                {
                    return false;
                }

                _tokenType = BencodeTokenType.Integer;
                AfterValue();
                return true;

            case (byte)'l':
            case (byte)'d':
                if (_depth >= _maxDepth)
                {
                    return Fail(BencodeError.DepthExceeded, _pos);
                }

                _pos++;
                _depth++;
                if (b == (byte)'d')
                {
                    _dictionaryBits |= 1UL << (_depth - 1);
                    _expectKey = true;
                    _tokenType = BencodeTokenType.StartDictionary;
                    if (_strict)
                    {
                        _previousKeys ??= new int[(_maxDepth + 1) * 2];
                        _previousKeys[_depth * 2] = -1;
                    }
                }
                else
                {
                    _dictionaryBits &= ~(1UL << (_depth - 1));
                    _expectKey = false;
                    _tokenType = BencodeTokenType.StartList;
                }

                return true;

            default:
                if ((uint)(b - '0') > 9)
                {
                    return Fail(BencodeError.InvalidToken, _pos);
                }

                if (!ReadString())
                {
                    return false;
                }

                _tokenType = BencodeTokenType.String;
                AfterValue();
                return true;
        }
    }

    /// <summary>
    /// Advances to the next token. Returns false at the end of the input.
    /// </summary>
    /// <exception cref="BencodeException">The input is malformed.</exception>
    public bool Read()
    {
        if (TryRead())
        {
            return true;
        }

        if (_error != BencodeError.None)
        {
            ThrowError();
        }

        return false;
    }

    /// <summary>
    /// Skips the value the reader is on: a whole list or dictionary when on its start, the value
    /// of a key when on a <see cref="BencodeTokenType.Key"/>, nothing for a scalar. Afterwards the
    /// reader is on the last token of that value. Returns false if the input is malformed.
    /// </summary>
    public bool TrySkip()
    {
        if (_tokenType == BencodeTokenType.Key && !TryRead())
        {
            return false;
        }

        if (_tokenType is not (BencodeTokenType.StartList or BencodeTokenType.StartDictionary))
        {
            return _error == BencodeError.None;
        }

        int depth = _depth - 1;
        while (TryRead())
        {
            if (_depth == depth && _tokenType is BencodeTokenType.EndList or BencodeTokenType.EndDictionary)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Like <see cref="TrySkip"/>, throwing <see cref="BencodeException"/> on malformed input.</summary>
    public void Skip()
    {
        if (!TrySkip())
        {
            if (_error == BencodeError.None)
            {
                Fail(BencodeError.UnexpectedEnd, _pos);
            }

            ThrowError();
        }
    }

    /// <summary>True when the current string or key equals <paramref name="other"/> byte for byte.</summary>
    public readonly bool ValueTextEquals(ReadOnlySpan<byte> other) => ValueSpan.SequenceEqual(other);

    /// <summary>
    /// Reads the whole remaining input and reports whether it is exactly one well-formed value.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> data, BencodeReaderOptions options, out BencodeError error, out int offset)
    {
        var reader = new BencodeReader(data, options);
        while (reader.TryRead())
        {
        }

        error = reader._error;
        offset = reader._errorOffset;
        return error == BencodeError.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool IsDictionary(int depth) => (_dictionaryBits & (1UL << (depth - 1))) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AfterValue()
    {
        if (_depth == 0)
        {
            _done = true;
            _expectKey = false;
        }
        else
        {
            _expectKey = IsDictionary(_depth);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReadString()
    {
        int p = _pos;
        BencodeError error = ParseString(_data, ref p, out int valueStart, out int valueLength, out int errorOffset);
        if (error != BencodeError.None)
        {
            return Fail(error, errorOffset);
        }

        _valueStart = valueStart;
        _valueLength = valueLength;
        _pos = p;
        return true;
    }

    private bool ReadInteger()
    {
        int p = _pos;
        BencodeError error = ParseInteger(_data, ref p, out long value, out int errorOffset);
        if (error != BencodeError.None)
        {
            return Fail(error, errorOffset);
        }

        _integer = value;
        _pos = p;
        return true;
    }

    /// <summary>
    /// Parses the byte string whose length starts at <paramref name="pos"/> (a digit) and moves
    /// <paramref name="pos"/> past it. Shared with the KRPC decoder, which scans with local state.
    /// </summary>
    /// <remarks>
    /// One check per length digit: a leading zero can only be the first digit, so it is checked once.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static BencodeError ParseString(ReadOnlySpan<byte> data, ref int pos, out int valueStart, out int valueLength, out int errorOffset)
    {
        int start = pos;
        valueStart = 0;
        valueLength = 0;
        errorOffset = start;
        long length = data[start] - '0';
        if (length > data.Length)
        {
            return BencodeError.StringPastEnd;
        }

        int p = start + 1;
        uint digit;
        while ((uint)p < (uint)data.Length && (digit = (uint)(data[p] - '0')) <= 9)
        {
            if (length == 0)
            {
                return BencodeError.LeadingZero;
            }

            length = (length * 10) + digit;
            if (length > data.Length)
            {
                return BencodeError.StringPastEnd;
            }

            p++;
        }

        if ((uint)p >= (uint)data.Length)
        {
            return BencodeError.StringPastEnd;
        }

        if (data[p] != (byte)':')
        {
            errorOffset = p;
            return BencodeError.InvalidStringLength;
        }

        p++; // ':'
        if (length > data.Length - p)
        {
            return BencodeError.StringPastEnd;
        }

        valueStart = p;
        valueLength = (int)length;
        pos = p + (int)length;
        return BencodeError.None;
    }

    /// <summary>
    /// Parses the integer starting at <paramref name="pos"/> (an <c>i</c>) and moves
    /// <paramref name="pos"/> past its <c>e</c>. Shared with the KRPC decoder.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static BencodeError ParseInteger(ReadOnlySpan<byte> data, ref int pos, out long value, out int errorOffset)
    {
        int start = pos;
        int p = start + 1;
        value = 0;
        errorOffset = start;
        bool negative = false;
        if ((uint)p < (uint)data.Length && data[p] == (byte)'-')
        {
            negative = true;
            p++;
        }

        int firstDigit = p;
        ulong limit = negative ? 9_223_372_036_854_775_808UL : long.MaxValue;
        ulong magnitude = 0;
        while ((uint)p < (uint)data.Length)
        {
            uint digit = (uint)(data[p] - '0');
            if (digit > 9)
            {
                break;
            }

            // Fewer than 18 digits cannot exceed the limit: the division is only needed beyond.
            if (p - firstDigit >= 18 && magnitude > (limit - digit) / 10)
            {
                return BencodeError.IntegerOverflow;
            }

            magnitude = (magnitude * 10) + digit;
            p++;
        }

        if ((uint)p >= (uint)data.Length)
        {
            errorOffset = p;
            return BencodeError.UnexpectedEnd;
        }

        if (data[p] != (byte)'e' || p == firstDigit)
        {
            errorOffset = p;
            return BencodeError.InvalidInteger;
        }

        if (data[firstDigit] == (byte)'0' && p - firstDigit > 1)
        {
            errorOffset = firstDigit;
            return BencodeError.LeadingZero;
        }

        if (negative && magnitude == 0)
        {
            return BencodeError.NegativeZero;
        }

        value = negative ? unchecked((long)(0UL - magnitude)) : (long)magnitude;
        pos = p + 1;
        return BencodeError.None;
    }

    private bool CheckKeyOrder()
    {
        int[] keys = _previousKeys!;
        int slot = _depth * 2;
        int previousStart = keys[slot];
        if (previousStart >= 0)
        {
            int order = ValueSpan.SequenceCompareTo(_data.Slice(previousStart, keys[slot + 1]));
            if (order <= 0)
            {
                return Fail(order == 0 ? BencodeError.DuplicateKey : BencodeError.UnsortedKeys, _tokenStart);
            }
        }

        keys[slot] = _valueStart;
        keys[slot + 1] = _valueLength;
        return true;
    }

    private bool Fail(BencodeError error, int offset)
    {
        _error = error;
        _errorOffset = offset;
        _tokenType = BencodeTokenType.None;
        return false;
    }

    private readonly void ThrowError() => throw new BencodeException(_error, _errorOffset);
}

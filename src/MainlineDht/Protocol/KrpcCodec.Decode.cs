using System.Diagnostics.CodeAnalysis;
using MainlineDht.Bencode;

// Over 400 lines on purpose: the typed messages built from one scan, one case per message type, sharing
// the argument checks (RequireId, Require20); the scan itself is in KrpcCodec.Decode.Scan.cs.

namespace MainlineDht.Protocol;

public static partial class KrpcCodec
{
    private static readonly BencodeReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>A byte range of the datagram; <see cref="Start1"/> is the start plus one, 0 when absent.</summary>
    private readonly record struct Slice(int Start1, int Length)
    {
        public bool IsPresent => Start1 != 0;

        public ReadOnlyMemory<byte> In(ReadOnlyMemory<byte> memory) =>
            IsPresent ? memory.Slice(Start1 - 1, Length) : default;

        public ReadOnlySpan<byte> In(ReadOnlySpan<byte> span) =>
            IsPresent ? span.Slice(Start1 - 1, Length) : default;
    }

    [Flags]
    private enum Has : uint
    {
        None = 0,
        Port = 1 << 0,
        ImpliedPort = 1 << 1,
        Seed = 1 << 2,
        NoSeed = 1 << 3,
        Scrape = 1 << 4,
        Seq = 1 << 5,
        Cas = 1 << 6,
        Num = 1 << 7,
        Interval = 1 << 8,
    }

    /// <summary>The known keys of an <c>a</c> or <c>r</c> dictionary, gathered in one pass.</summary>
    private struct DictFields
    {
        public Slice Id, Target, InfoHash, Token, Nodes, Nodes6, Values, Samples, SeedsFilter, PeersFilter, Value, Key, Signature, Salt;
        public long Port, ImpliedPort, Seed, NoSeed, Scrape, Seq, Cas, Num, Interval;
        public Has Has;
        public int ValuesCount;
        public WantFamilies Want;
        public string? Problem;
        public int ProblemOffset;

        public void Note(string problem, int offset)
        {
            if (Problem is null)
            {
                Problem = problem;
                ProblemOffset = offset;
            }
        }

        public readonly bool IsSet(Has flag) => (Has & flag) != 0;

        public readonly long? Optional(long value, Has flag) => (Has & flag) != 0 ? value : null;
    }

    /// <summary>One datagram's decoding: a single scan (<c>KrpcCodec.Decode.Scan.cs</c>) gathers the fields, then the typed message is built.</summary>
    private ref partial struct Decoder
    {
        // How many containers enclose a top-level value, a field of 'a'/'r' (or an element of
        // 'e'), and an element of a list inside 'a'/'r': a nested value is skipped with the
        // remaining depth allowance.
        private const int TopDepth = 1;
        private const int FieldDepth = 2;
        private const int ListDepth = 3;

        private readonly ReadOnlyMemory<byte> _memory;
        private readonly ReadOnlySpan<byte> _data;
        private readonly ReusableQueries? _reuse;
        private readonly bool _ownReplies;
        private BencodeError _error;
        private int _errorOffset;
        private DictFields _args;
        private DictFields _response;
        private Slice _t, _y, _q, _v, _ip, _errorMessage;
        private long _ro, _errorCode;
        private bool _hasArgs, _hasResponse, _hasError, _argsWrongType;
        private int _argsOffset;

        public Decoder(ReadOnlyMemory<byte> memory, ReusableQueries? reuse, bool ownReplies)
        {
            _memory = memory;
            _data = memory.Span;
            _reuse = reuse;
            _ownReplies = ownReplies;
        }

        /// <summary>What a response or error is built over: the datagram, or a copy of it when replies are to own their memory.</summary>
        private readonly ReadOnlyMemory<byte> ReplyMemory() => _ownReplies ? _memory.ToArray() : _memory;

        public bool Decode([NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
        {
            message = null;
            if (!ReadTopLevel(out error))
            {
                return false;
            }

            if (!_t.IsPresent)
            {
                error = Drop("missing transaction id 't'", 0);
                return false;
            }

            ReadOnlySpan<byte> y = _y.In(_data);
            if (y.Length == 1)
            {
                switch (y[0])
                {
                    case (byte)'q':
                        return BuildQuery(out message, out error);
                    case (byte)'r':
                        return BuildResponse(out message, out error);
                    case (byte)'e':
                        return BuildError(out message, out error);
                }
            }

            error = Drop(_y.IsPresent ? "unknown message type 'y'" : "missing message type 'y'", _y.IsPresent ? _y.Start1 - 1 : 0);
            return false;
        }

        private bool BuildQuery([NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
        {
            message = null;
            ReadOnlyMemory<byte> t = _t.In(_memory);
            if (!_q.IsPresent)
            {
                error = Reply("missing method name 'q'", 0, t);
                return false;
            }

            if (!_hasArgs)
            {
                error = Reply(_argsWrongType ? "'a' must be a dictionary" : "missing arguments 'a'", _argsOffset, t);
                return false;
            }

            ref DictFields a = ref _args;
            if (a.Problem is not null)
            {
                error = Reply(a.Problem, a.ProblemOffset, t);
                return false;
            }

            if (!RequireId(ref a, "'id' must be 20 bytes", out NodeId id, out error))
            {
                return false;
            }

            KrpcMethod method = KrpcMethodNames.Parse(_q.In(_data));
            KrpcQuery? query;
            switch (method)
            {
                case KrpcMethod.Ping:
                    query = _reuse is not null
                        ? _reuse.Ping.Refill(id, _ro == 1, t, _v.In(_memory), _ip.In(_memory))
                        : new PingQuery { Id = id, TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1 };
                    break;

                case KrpcMethod.FindNode:
                    if (!Require20(a.Target, "'target' must be 20 bytes", out NodeId target, out error))
                    {
                        return false;
                    }

                    query = _reuse is not null
                        ? _reuse.FindNode.Refill(id, target, a.Want, _ro == 1, t, _v.In(_memory), _ip.In(_memory))
                        : new FindNodeQuery { Id = id, Target = target, Want = a.Want, TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1 };
                    break;

                case KrpcMethod.GetPeers:
                    if (!Require20(a.InfoHash, "'info_hash' must be 20 bytes", out NodeId infoHash, out error))
                    {
                        return false;
                    }

                    query = _reuse is not null
                        ? _reuse.GetPeers.Refill(id, infoHash, a.Want, a.NoSeed == 1, a.Scrape == 1, _ro == 1, t, _v.In(_memory), _ip.In(_memory))
                        : new GetPeersQuery
                        {
                            Id = id, InfoHash = infoHash, Want = a.Want, NoSeed = a.NoSeed == 1, Scrape = a.Scrape == 1,
                            TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1,
                        };
                    break;

                case KrpcMethod.AnnouncePeer:
                    if (!BuildAnnounce(ref a, id, t, out query, out error))
                    {
                        return false;
                    }

                    break;

                case KrpcMethod.SampleInfohashes:
                    if (!Require20(a.Target, "'target' must be 20 bytes", out NodeId sampleTarget, out error))
                    {
                        return false;
                    }

                    query = new SampleInfohashesQuery { Id = id, Target = sampleTarget, Want = a.Want, TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1 };
                    break;

                case KrpcMethod.Get:
                    if (!Require20(a.Target, "'target' must be 20 bytes", out NodeId getTarget, out error))
                    {
                        return false;
                    }

                    query = new GetQuery
                    {
                        Id = id, Target = getTarget, Sequence = a.Optional(a.Seq, Has.Seq), Want = a.Want,
                        TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1,
                    };
                    break;

                case KrpcMethod.Put:
                    if (!BuildPut(ref a, id, t, out query, out error))
                    {
                        return false;
                    }

                    break;

                default:
                    query = new UnknownQuery
                    {
                        Id = id, MethodName = _q.In(_memory), Want = a.Want,
                        Target = a.Target.IsPresent && a.Target.Length == NodeId.Size ? new NodeId(a.Target.In(_data)) : null,
                        InfoHash = a.InfoHash.IsPresent && a.InfoHash.Length == NodeId.Size ? new NodeId(a.InfoHash.In(_data)) : null,
                        TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1,
                    };
                    break;
            }

            message = query;
            error = default;
            return true;
        }

        private bool BuildAnnounce(ref DictFields a, NodeId id, ReadOnlyMemory<byte> t, [NotNullWhen(true)] out KrpcQuery? query, out KrpcDecodeError error)
        {
            query = null;
            if (!Require20(a.InfoHash, "'info_hash' must be 20 bytes", out NodeId infoHash, out error))
            {
                return false;
            }

            if (!a.Token.IsPresent)
            {
                error = Reply("missing 'token'", 0, t);
                return false;
            }

            bool implied = a.IsSet(Has.ImpliedPort) && a.ImpliedPort != 0;
            if (a.IsSet(Has.Port) ? a.Port is < 0 or > 65535 || (a.Port == 0 && !implied) : !implied)
            {
                error = Reply("'port' must be an integer from 1 to 65535", 0, t);
                return false;
            }

            query = new AnnouncePeerQuery
            {
                Id = id, InfoHash = infoHash, Port = a.IsSet(Has.Port) ? (int)a.Port : 0, ImpliedPort = implied,
                Token = a.Token.In(_memory), Seed = a.Seed == 1,
                TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1,
            };
            error = default;
            return true;
        }

        private bool BuildPut(ref DictFields a, NodeId id, ReadOnlyMemory<byte> t, [NotNullWhen(true)] out KrpcQuery? query, out KrpcDecodeError error)
        {
            query = null;
            if (!a.Token.IsPresent)
            {
                error = Reply("missing 'token'", 0, t);
                return false;
            }

            if (!a.Value.IsPresent)
            {
                error = Reply("missing value 'v'", 0, t);
                return false;
            }

            if (a.Value.Length > PutQuery.MaxValueSize)
            {
                error = new KrpcDecodeError("'v' is larger than 1000 bytes", a.Value.Start1 - 1, KrpcErrorCode.MessageTooBig, t);
                return false;
            }

            if (a.Salt.Length > PutQuery.MaxSaltSize)
            {
                error = new KrpcDecodeError("'salt' is larger than 64 bytes", a.Salt.Start1 - 1, KrpcErrorCode.SaltTooBig, t);
                return false;
            }

            if (a.Key.IsPresent || a.Signature.IsPresent)
            {
                if (a.Key.Length != 32 || a.Signature.Length != 64 || !a.IsSet(Has.Seq))
                {
                    error = Reply("a mutable item needs a 32-byte 'k', a 64-byte 'sig' and 'seq'", 0, t);
                    return false;
                }
            }

            query = new PutQuery
            {
                Id = id, Token = a.Token.In(_memory), Value = a.Value.In(_memory), PublicKey = a.Key.In(_memory),
                Signature = a.Signature.In(_memory), Salt = a.Salt.In(_memory), Sequence = a.Optional(a.Seq, Has.Seq),
                CompareAndSwap = a.Optional(a.Cas, Has.Cas),
                TransactionId = t, Version = _v.In(_memory), ExternalAddress = _ip.In(_memory), ReadOnly = _ro == 1,
            };
            error = default;
            return true;
        }

        private bool BuildResponse([NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
        {
            message = null;
            if (!_hasResponse)
            {
                error = Drop("missing response dictionary 'r'", 0);
                return false;
            }

            ref DictFields r = ref _response;
            if (r.Problem is not null)
            {
                error = Drop(r.Problem, r.ProblemOffset);
                return false;
            }

            if (r.Id.Length != NodeId.Size)
            {
                error = Drop("'id' must be 20 bytes", r.Id.IsPresent ? r.Id.Start1 - 1 : 0);
                return false;
            }

            ReadOnlyMemory<byte> memory = ReplyMemory();
            message = new KrpcResponse
            {
                Id = new NodeId(r.Id.In(_data)),
                Nodes = r.Nodes.In(memory),
                Nodes6 = r.Nodes6.In(memory),
                Token = r.Token.In(memory),
                Values = r.Values.IsPresent ? CompactPeerList.FromValidatedList(r.Values.In(memory), r.ValuesCount) : default,
                SeedsFilter = r.SeedsFilter.In(memory),
                PeersFilter = r.PeersFilter.In(memory),
                Samples = r.Samples.In(memory),
                Num = r.Optional(r.Num, Has.Num),
                Interval = r.Optional(r.Interval, Has.Interval),
                Value = r.Value.In(memory),
                PublicKey = r.Key.In(memory),
                Signature = r.Signature.In(memory),
                Sequence = r.Optional(r.Seq, Has.Seq),
                IncludedKeys = (r.Nodes.IsPresent ? KrpcResponseKeys.Nodes : KrpcResponseKeys.None)
                    | (r.Nodes6.IsPresent ? KrpcResponseKeys.Nodes6 : KrpcResponseKeys.None)
                    | (r.Samples.IsPresent ? KrpcResponseKeys.Samples : KrpcResponseKeys.None),
                TransactionId = _t.In(memory),
                Version = _v.In(memory),
                ExternalAddress = _ip.In(memory),
            };
            error = default;
            return true;
        }

        private bool BuildError([NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
        {
            message = null;
            if (!_hasError || _errorCode is < int.MinValue or > int.MaxValue)
            {
                error = Drop("an error message needs 'e' = [code, message]", 0);
                return false;
            }

            ReadOnlyMemory<byte> memory = ReplyMemory();
            message = new KrpcError
            {
                Code = (int)_errorCode,
                Message = _errorMessage.In(memory),
                TransactionId = _t.In(memory),
                Version = _v.In(memory),
                ExternalAddress = _ip.In(memory),
            };
            error = default;
            return true;
        }

        private readonly bool RequireId(ref DictFields a, string problem, out NodeId id, out KrpcDecodeError error) =>
            Require20(a.Id, problem, out id, out error);

        private readonly bool Require20(Slice slice, string problem, out NodeId id, out KrpcDecodeError error)
        {
            if (slice.Length != NodeId.Size)
            {
                id = default;
                error = Reply(problem, slice.IsPresent ? slice.Start1 - 1 : 0, _t.In(_memory));
                return false;
            }

            id = new NodeId(_data.Slice(slice.Start1 - 1, NodeId.Size));
            error = default;
            return true;
        }

        /// <summary>Records a bencode error; always false.</summary>
        private bool Failed(BencodeError error, int offset)
        {
            _error = error;
            _errorOffset = offset;
            return false;
        }

        /// <summary>Records a bencode error; always -1, the position that means failure.</summary>
        private int FailedAt(BencodeError error, int offset)
        {
            Failed(error, offset);
            return -1;
        }

        private readonly bool Fail(out KrpcDecodeError error)
        {
            error = Drop(BencodeException.Describe(_error), _errorOffset);
            return false;
        }

        private bool Fail(BencodeError bencodeError, int offset, out KrpcDecodeError error)
        {
            Failed(bencodeError, offset);
            return Fail(out error);
        }

        private static KrpcDecodeError Drop(string reason, int offset) => new(reason, offset, null, default);

        private static KrpcDecodeError Reply(string reason, int offset, ReadOnlyMemory<byte> t) => new(reason, offset, KrpcErrorCode.Protocol, t);
    }
}

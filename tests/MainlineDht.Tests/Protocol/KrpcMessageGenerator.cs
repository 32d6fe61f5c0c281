using System.Net;
using MainlineDht.Bencode;
using MainlineDht.Protocol;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>
/// Random valid KRPC messages of every type, with random optional fields, from a seeded
/// <see cref="Random"/>: what the codec must round-trip.
/// </summary>
internal sealed class KrpcMessageGenerator(Random random)
{
    private static readonly string[] KnownMethods = ["ping", "find_node", "get_peers", "announce_peer", "sample_infohashes", "get", "put"];

    /// <summary>How many kinds <see cref="Next(int)"/> knows.</summary>
    public const int KindCount = 10;

    public KrpcMessage Next() => Next(random.Next(KindCount));

    public KrpcMessage Next(int kind) => kind switch
    {
        0 => new PingQuery { Id = Id(), ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address() },
        1 => new FindNodeQuery { Id = Id(), Target = Id(), Want = Want(), ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address() },
        2 => new GetPeersQuery
        {
            Id = Id(), InfoHash = Id(), Want = Want(), NoSeed = Flag(), Scrape = Flag(),
            ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        },
        3 => Announce(),
        4 => new SampleInfohashesQuery { Id = Id(), Target = Id(), Want = Want(), ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address() },
        5 => new GetQuery
        {
            Id = Id(), Target = Id(), Sequence = Maybe(Long), Want = Want(),
            ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        },
        6 => Put(),
        7 => new UnknownQuery
        {
            Id = Id(), MethodName = MethodName(), Target = Maybe(Id), InfoHash = Maybe(Id), Want = Want(),
            ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        },
        8 => Response(),
        9 => new KrpcError
        {
            Code = random.Next(4) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(201, 208),
            Message = Bytes(random.Next(0, 60)),
            TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A random well-formed bencoded value, nested at most <paramref name="depth"/> deep.</summary>
    public byte[] BencodedValue(int depth, int maxSize)
    {
        byte[] buffer = new byte[4096];
        while (true)
        {
            var writer = new BencodeWriter(buffer);
            WriteValue(ref writer, depth);
            if (!writer.Overflowed && writer.BytesWritten <= maxSize)
            {
                return buffer[..writer.BytesWritten];
            }
        }
    }

    private AnnouncePeerQuery Announce()
    {
        bool implied = Flag();
        int port = implied && random.Next(3) == 0 ? 0 : random.Next(1, 65536);
        return new AnnouncePeerQuery
        {
            Id = Id(), InfoHash = Id(), Port = port, ImpliedPort = implied, Token = Bytes(random.Next(0, 21)), Seed = Flag(),
            ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        };
    }

    private PutQuery Put()
    {
        bool mutable = Flag();
        return new PutQuery
        {
            Id = Id(),
            Token = Bytes(random.Next(0, 21)),
            Value = BencodedValue(3, PutQuery.MaxValueSize),
            PublicKey = mutable ? Bytes(32) : default,
            Signature = mutable ? Bytes(64) : default,
            Salt = mutable && Flag() ? Bytes(random.Next(1, PutQuery.MaxSaltSize + 1)) : default,
            Sequence = mutable ? Long() : null,
            CompareAndSwap = mutable && Flag() ? Long() : null,
            ReadOnly = Flag(), TransactionId = Transaction(), Version = Version(), ExternalAddress = Address(),
        };
    }

    private KrpcResponse Response() => new()
    {
        Id = Id(),
        Nodes = Flag() ? Bytes(CompactFormat.NodeV4Size * random.Next(1, 9)) : default,
        Nodes6 = Flag() ? Bytes(CompactFormat.NodeV6Size * random.Next(1, 9)) : default,
        Token = Flag() ? Bytes(random.Next(1, 21)) : default,
        Values = Flag() ? CompactPeerList.Create(Enumerable.Range(0, random.Next(0, 30)).Select(_ => EndPoint())) : default,
        SeedsFilter = Flag() ? Bytes(256) : default,
        PeersFilter = Flag() ? Bytes(256) : default,
        Samples = Flag() ? Bytes(NodeId.Size * random.Next(1, 20)) : default,
        Num = Maybe(Long),
        Interval = Maybe(Long),
        Value = Flag() ? BencodedValue(3, PutQuery.MaxValueSize) : default,
        PublicKey = Flag() ? Bytes(32) : default,
        Signature = Flag() ? Bytes(64) : default,
        Sequence = Maybe(Long),
        TransactionId = Transaction(),
        Version = Version(),
        ExternalAddress = Address(),
        IncludedKeys = (KrpcResponseKeys)random.Next(8), // required keys, written empty when they hold nothing
    };

    private void WriteValue(ref BencodeWriter writer, int depth)
    {
        switch (random.Next(depth > 0 ? 4 : 2))
        {
            case 0:
                writer.WriteInteger(Long());
                break;

            case 1:
                writer.WriteString(Bytes(random.Next(0, 40)));
                break;

            case 2:
                writer.WriteStartList();
                for (int i = random.Next(0, 5); i > 0; i--)
                {
                    WriteValue(ref writer, depth - 1);
                }

                writer.WriteEnd();
                break;

            default:
                writer.WriteStartDictionary();
                var keys = new SortedSet<byte[]>(Enumerable.Range(0, random.Next(0, 5)).Select(_ => Bytes(random.Next(0, 6))), ByteOrder.Instance);
                foreach (byte[] key in keys)
                {
                    writer.WriteKey(key);
                    WriteValue(ref writer, depth - 1);
                }

                writer.WriteEnd();
                break;
        }
    }

    private NodeId Id() => NodeId.CreateRandom(random);

    private bool Flag() => random.Next(2) == 0;

    private WantFamilies Want() => (WantFamilies)random.Next(4);

    private T? Maybe<T>(Func<T> value)
        where T : struct => Flag() ? value() : null;

    private long Long() => random.Next(4) switch
    {
        0 => random.Next(-10, 10),
        1 => random.NextInt64(),
        2 => -random.NextInt64(),
        _ => random.Next(3) switch { 0 => long.MinValue, 1 => long.MaxValue, _ => 0 },
    };

    private byte[] Bytes(int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private byte[] Transaction() => Bytes(random.Next(8) == 0 ? random.Next(0, 9) : 2);

    private ReadOnlyMemory<byte> Version() => Flag() ? Bytes(4) : default;

    private ReadOnlyMemory<byte> Address() => random.Next(3) switch
    {
        0 => default,
        1 => Bytes(CompactFormat.PeerV4Size),
        _ => Bytes(CompactFormat.PeerV6Size),
    };

    private IPEndPoint EndPoint() =>
        new(Flag() ? new IPAddress(Bytes(4)) : new IPAddress(Bytes(16)), random.Next(0, 65536));

    private byte[] MethodName()
    {
        while (true)
        {
            byte[] name = random.Next(3) == 0
                ? Bytes(random.Next(0, 20))
                : System.Text.Encoding.ASCII.GetBytes(new string(Enumerable.Range(0, random.Next(1, 20)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray()));
            if (!KnownMethods.Contains(Text(name)))
            {
                return name;
            }
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

using MainlineDht.Protocol;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Protocol;

/// <summary>Round-trip properties over thousands of random messages of every type.</summary>
[TestFixture]
public sealed class KrpcCodecPropertyTests
{
    private const int CasesPerKind = 1000;

    private static IEnumerable<TestCaseData> Kinds() =>
        Enumerable.Range(0, KrpcMessageGenerator.KindCount)
            .Select(kind => new TestCaseData(kind).SetArgDisplayNames(new KrpcMessageGenerator(new Random(kind)).Next(kind).GetType().Name));

    [TestCaseSource(nameof(Kinds))]
    public void DecodeOfEncode_EqualsTheMessage_AndReencodesIdentically(int kind)
    {
        var generator = new KrpcMessageGenerator(new Random(1000 + kind));
        byte[] buffer = new byte[64 * 1024];
        for (int i = 0; i < CasesPerKind; i++)
        {
            KrpcMessage message = generator.Next(kind);
            Assert.That(KrpcCodec.TryEncode(message, buffer, out int written), Is.True);
            byte[] encoded = buffer[..written];

            bool decoded = KrpcCodec.TryDecode(encoded, out KrpcMessage? back, out KrpcDecodeError error);
            Assert.That(decoded, Is.True, () => $"case {i}: {error} in {Text(encoded)}");
            Assert.That(back, Is.EqualTo(message), () => $"case {i}: {Text(encoded)}");
            Assert.That(back!.GetType(), Is.EqualTo(message.GetType()));
            Assert.That(KrpcCodec.Encode(back), Is.EqualTo(encoded), () => $"case {i}");
        }
    }

    [TestCaseSource(nameof(Kinds))]
    public void TryEncode_IntoATooSmallSpan_ReturnsFalse_AndNeverThrows(int kind)
    {
        var generator = new KrpcMessageGenerator(new Random(2000 + kind));
        var random = new Random(3000 + kind);
        byte[] buffer = new byte[64 * 1024];
        for (int i = 0; i < CasesPerKind; i++)
        {
            KrpcMessage message = generator.Next(kind);
            Assert.That(KrpcCodec.TryEncode(message, buffer, out int length), Is.True);
            byte[] expected = buffer[..length];

            int[] sizes = [0, 1, length / 2, length - 1, random.Next(length), random.Next(length)];
            foreach (int size in sizes)
            {
                Array.Fill(buffer, (byte)0xAA);
                bool ok = KrpcCodec.TryEncode(message, buffer.AsSpan(0, size), out int written);
                using (Assert.EnterMultipleScope())
                {
                    Assert.That(ok, Is.False, () => $"case {i}: {size} of {length} bytes");
                    Assert.That(written, Is.Zero);
                    Assert.That(buffer.AsSpan(size).IndexOfAnyExcept((byte)0xAA), Is.EqualTo(-1), "nothing is written past the span");
                }
            }

            Assert.That(KrpcCodec.TryEncode(message, buffer.AsSpan(0, length), out int exact), Is.True);
            Assert.That(buffer[..exact], Is.EqualTo(expected));
        }
    }

    [Test]
    public void MixedStream_RoundTrips()
    {
        var generator = new KrpcMessageGenerator(new Random(4242));
        byte[] buffer = new byte[KrpcCodec.MaxDatagramSize];
        int counted = 0;
        for (int i = 0; i < 5000; i++)
        {
            KrpcMessage message = generator.Next();
            if (!KrpcCodec.TryEncode(message, buffer, out int written))
            {
                continue; // larger than a datagram: covered by the per-kind test
            }

            counted++;
            KrpcMessage back = KrpcCodec.Decode(buffer.AsMemory(0, written).ToArray());
            Assert.That(back, Is.EqualTo(message));
            Assert.That(back.GetHashCode(), Is.EqualTo(message.GetHashCode()));
        }

        Assert.That(counted, Is.GreaterThan(3000));
    }

    [Test]
    public void Equals_DistinguishesMessagesThatDifferInOneField()
    {
        var id = NodeId.CreateRandom(new Random(1));
        var target = NodeId.CreateRandom(new Random(2));
        KrpcMessage a = new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target };
        using (Assert.EnterMultipleScope())
        {
            Assert.That(a, Is.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "ab"u8.ToArray(), Id = id, Target = target }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = target, Target = target }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = id }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target, Want = WantFamilies.IPv6 }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target, ReadOnly = true }));
            Assert.That(a, Is.Not.EqualTo(new FindNodeQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target, Version = "LT00"u8.ToArray() }));
            Assert.That(a, Is.Not.EqualTo(new SampleInfohashesQuery { TransactionId = "aa"u8.ToArray(), Id = id, Target = target }));
            Assert.That(a.Equals(null), Is.False);
        }
    }
}

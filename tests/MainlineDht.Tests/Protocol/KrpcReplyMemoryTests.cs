using MainlineDht.Protocol;

namespace MainlineDht.Tests.Protocol;

/// <summary>A reply decoded as the engine decodes it owns its memory: it no longer depends on the receive buffer.</summary>
public sealed class KrpcReplyMemoryTests
{
    private static IEnumerable<TestCaseData> Kinds() =>
        Enumerable.Range(0, KrpcMessageGenerator.KindCount)
            .Select(kind => new TestCaseData(kind).SetArgDisplayNames(new KrpcMessageGenerator(new Random(kind)).Next(kind).GetType().Name));

    [TestCaseSource(nameof(Kinds))]
    public void Decoded_owning_replies_a_reply_does_not_depend_on_the_datagram_and_a_query_is_unchanged(int kind)
    {
        var generator = new KrpcMessageGenerator(new Random(5000 + kind));
        for (int i = 0; i < 300; i++)
        {
            KrpcMessage message = generator.Next(kind);
            byte[] buffer = KrpcCodec.Encode(message);
            byte[] copy = (byte[])buffer.Clone();

            Assert.That(KrpcCodec.TryDecodeOwningReplies(buffer, null, out KrpcMessage? decoded, out _), Is.True, () => $"case {i}");
            Assert.That(decoded, Is.EqualTo(message), () => $"case {i}");
            if (message is KrpcQuery)
            {
                // A query is decoded over the datagram as before (the engine is done with it before
                // the buffer is reused): it reads the overwritten bytes.
                Array.Fill(buffer, (byte)'x');
                Assert.That(((KrpcQuery)decoded!).TransactionId.ToArray(), Is.All.EqualTo((byte)'x').Or.Empty, () => $"case {i}");
                continue;
            }

            Array.Fill(buffer, (byte)'x');
            Assert.That(decoded, Is.EqualTo(message), () => $"case {i}: after the datagram was overwritten");
            Assert.That(KrpcCodec.Encode(decoded!), Is.EqualTo(copy), () => $"case {i}: re-encodes to the datagram");
        }
    }
}

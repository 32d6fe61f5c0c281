using MainlineDht.Protocol;

namespace MainlineDht.Tests.Protocol;

/// <summary>A message decoded over one buffer, re-based onto a copy of it, no longer depends on the first buffer.</summary>
public sealed class KrpcMessageRebaseTests
{
    private static IEnumerable<TestCaseData> Kinds() =>
        Enumerable.Range(0, KrpcMessageGenerator.KindCount)
            .Select(kind => new TestCaseData(kind).SetArgDisplayNames(new KrpcMessageGenerator(new Random(kind)).Next(kind).GetType().Name));

    [TestCaseSource(nameof(Kinds))]
    public void A_rebased_message_equals_the_original_after_the_buffer_is_overwritten(int kind)
    {
        var generator = new KrpcMessageGenerator(new Random(4000 + kind));
        for (int i = 0; i < 300; i++)
        {
            KrpcMessage message = generator.Next(kind);
            byte[] buffer = KrpcCodec.Encode(message);
            KrpcMessage decoded = KrpcCodec.Decode(buffer);
            byte[] copy = (byte[])buffer.Clone();

            KrpcMessage rebased = decoded.Rebase(buffer, copy);
            Array.Fill(buffer, (byte)'x');

            Assert.That(rebased, Is.EqualTo(message), () => $"case {i}");
            Assert.That(rebased.GetType(), Is.EqualTo(message.GetType()));
            Assert.That(KrpcCodec.Encode(rebased), Is.EqualTo(copy), () => $"case {i}: re-encodes to the datagram");
        }
    }

    [Test]
    public void A_field_that_is_not_a_slice_of_the_datagram_is_copied_on_its_own()
    {
        byte[] datagram = KrpcCodec.Encode(new PingQuery { Id = NodeId.Parse("0101010101010101010101010101010101010101"), TransactionId = "aa"u8.ToArray() });
        byte[] elsewhere = "zz"u8.ToArray();
        var handMade = new PingQuery { Id = NodeId.Parse("0101010101010101010101010101010101010101"), TransactionId = elsewhere };

        var rebased = (PingQuery)handMade.Rebase(datagram, (byte[])datagram.Clone());
        elsewhere[0] = (byte)'q';
        Assert.That(rebased.TransactionId.ToArray(), Is.EqualTo("zz"u8.ToArray()));
    }

    [Test]
    public void The_copy_must_be_as_long_as_the_datagram()
    {
        byte[] datagram = KrpcCodec.Encode(new PingQuery { TransactionId = "aa"u8.ToArray() });
        KrpcMessage decoded = KrpcCodec.Decode(datagram);
        Assert.That(() => decoded.Rebase(datagram, new byte[datagram.Length - 1]), Throws.ArgumentException);
    }

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

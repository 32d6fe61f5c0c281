using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.PeerWire.Wire;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Wire;

/// <summary>
/// A peer that breaks the framing gets a clear error, and never makes the connection allocate
/// more than the limit of the message kind it announced.
/// </summary>
public sealed class PeerConnectionLimitTests
{
    [Test]
    public async Task A_length_prefix_of_two_gigabytes_is_refused_before_reading_it()
    {
        // 0x7fffffff bytes announced, then an endless stream of data.
        var stream = new ScriptedStream(Hex("7fffffff07"), endless: true, filler: 0x41);
        await using var connection = new PeerConnection(stream);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = await Assert.ThrowsAsync<PeerProtocolException>(async () => await connection.ReadMessageAsync(CancellationToken.None));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.MessageTooLarge));
        Assert.That(e.Message, Does.Contain("piece message of 2147483647 bytes"));
        Assert.That(allocated, Is.LessThan(64 * 1024), "nothing was allocated for the announced message");
        Assert.That(stream.BytesRead, Is.LessThanOrEqualTo(64 * 1024), "only the first read's worth was consumed");
    }

    [TestCase("00004010" + "07", PeerProtocolError.MessageTooLarge, "piece message of 16400 bytes; at most 16393")]
    [TestCase("00040001" + "05", PeerProtocolError.MessageTooLarge, "bitfield message of 262145 bytes; at most 262144")]
    [TestCase("00040001" + "14", PeerProtocolError.MessageTooLarge, "extended message of 262145 bytes; at most 262144")]
    [TestCase("00004020" + "63", PeerProtocolError.MessageTooLarge, "unknown (id 99) message of 16416 bytes")]
    [TestCase("00000006" + "04", PeerProtocolError.BadMessageLength, "have message of 6 bytes; it takes exactly 5")]
    [TestCase("00000002" + "00", PeerProtocolError.BadMessageLength, "choke message of 2 bytes; it takes exactly 1")]
    [TestCase("0000000c" + "06", PeerProtocolError.BadMessageLength, "request message of 12 bytes; it takes exactly 13")]
    [TestCase("00000008" + "07", PeerProtocolError.BadMessageLength, "piece message of 8 bytes; it takes at least 9")]
    [TestCase("00000001" + "14", PeerProtocolError.BadMessageLength, "extended message of 1 bytes; it takes at least 2")]
    public async Task Each_kind_has_its_own_limit_checked_on_the_prefix(string header, PeerProtocolError error, string message)
    {
        var stream = new ScriptedStream(Hex(header), endless: true);
        await using var connection = new PeerConnection(stream);

        var e = await Assert.ThrowsAsync<PeerProtocolException>(async () => await connection.ReadMessageAsync(CancellationToken.None));

        Assert.That(e!.Error, Is.EqualTo(error));
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public async Task The_largest_block_and_bulk_messages_are_accepted()
    {
        byte[] piece = [.. Hex("00004009" + "07" + "00000000" + "00000000"), .. new byte[16384]];
        byte[] bitfield = [.. Hex("00040000" + "05"), .. new byte[262143]];
        await using var connection = new PeerConnection(new ScriptedStream([.. piece, .. bitfield]));

        PeerMessage first = await connection.ReadMessageAsync(CancellationToken.None);
        Assert.That((first.Id, first.Payload.Length), Is.EqualTo((PeerMessageId.Piece, 16392)));
        PeerMessage second = await connection.ReadMessageAsync(CancellationToken.None);
        Assert.That((second.Id, second.Payload.Length), Is.EqualTo((PeerMessageId.Bitfield, 262143)));
    }

    [Test]
    public async Task A_flood_of_largest_messages_reuses_one_buffer()
    {
        // 2,000 unknown messages of 16 KiB each (32 MiB): read one by one, never kept.
        byte[] one = [.. Hex("0000400d" + "63"), .. new byte[16396]];
        byte[] flood = new byte[one.Length * 2000];
        for (int i = 0; i < 2000; i++)
        {
            one.CopyTo(flood, i * one.Length);
        }

        await using var connection = new PeerConnection(new ScriptedStream(flood));
        await connection.ReadMessageAsync(CancellationToken.None); // the buffer is rented by now

        long before = GC.GetAllocatedBytesForCurrentThread();
        int whole = 0;
        for (int i = 1; i < 2000; i++)
        {
            PeerMessage message = await connection.ReadMessageAsync(CancellationToken.None);
            whole += message.Payload.Length == 16396 ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(whole, Is.EqualTo(1999));
        Assert.That(allocated, Is.LessThan(256 * 1024), "reading 31 MiB of messages allocated (almost) nothing");
    }

    [Test]
    public async Task A_peer_that_closes_in_the_middle_of_a_message_is_a_closed_connection()
    {
        await using var connection = new PeerConnection(new ScriptedStream([.. Hex("00004009" + "07" + "00000000" + "00000000"), .. new byte[1000]]));

        var e = await Assert.ThrowsAsync<PeerProtocolException>(async () => await connection.ReadMessageAsync(CancellationToken.None));

        Assert.That(e!.Error, Is.EqualTo(PeerProtocolError.ConnectionClosed));
        Assert.That(e.Message, Does.Contain("in the middle of a message (1013 of 16397 bytes received)"));
    }

    [Test]
    public async Task A_peer_that_closes_between_messages_is_a_closed_connection()
    {
        await using var connection = new PeerConnection(new ScriptedStream(Hex("0000000101")));
        await connection.ReadMessageAsync(CancellationToken.None);

        var e = await Assert.ThrowsAsync<PeerProtocolException>(async () => await connection.ReadMessageAsync(CancellationToken.None));

        Assert.That((e!.Error, e.Message), Is.EqualTo((PeerProtocolError.ConnectionClosed, "the peer closed the connection")));
    }
}

using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.PeerWire.Wire;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Wire;

/// <summary>Every BEP 3 message kind (and BEP 5's port, BEP 10's extended), written and read back byte for byte.</summary>
public sealed class PeerMessagesTests
{
    private static IEnumerable<TestCaseData> Messages()
    {
        yield return Case("keep-alive", "00000000", PeerMessageId.KeepAlive, "", b => PeerMessages.WriteKeepAlive(b));
        yield return Case("choke", "00000001" + "00", PeerMessageId.Choke, "", b => PeerMessages.WriteSimple(b, PeerMessageId.Choke));
        yield return Case("unchoke", "00000001" + "01", PeerMessageId.Unchoke, "", b => PeerMessages.WriteSimple(b, PeerMessageId.Unchoke));
        yield return Case("interested", "00000001" + "02", PeerMessageId.Interested, "", b => PeerMessages.WriteSimple(b, PeerMessageId.Interested));
        yield return Case("not interested", "00000001" + "03", PeerMessageId.NotInterested, "", b => PeerMessages.WriteSimple(b, PeerMessageId.NotInterested));
        yield return Case("have", "00000005" + "04" + "0000002a", PeerMessageId.Have, "0000002a", b => PeerMessages.WriteHave(b, 42));
        yield return Case("bitfield", "00000003" + "05" + "ff80", PeerMessageId.Bitfield, "ff80", b => PeerMessages.WriteBitfield(b, [0xff, 0x80]));
        yield return Case("request", "0000000d" + "06" + "00000001" + "00004000" + "00004000", PeerMessageId.Request, "000000010000400000004000", b => PeerMessages.WriteRequest(b, 1, 16384, 16384));
        yield return Case("piece", "0000000c" + "07" + "00000001" + "00000000" + "616263", PeerMessageId.Piece, "0000000100000000616263", b => PeerMessages.WritePiece(b, 1, 0, "abc"u8));
        yield return Case("cancel", "0000000d" + "08" + "00000002" + "00008000" + "00001000", PeerMessageId.Cancel, "000000020000800000001000", b => PeerMessages.WriteCancel(b, 2, 32768, 4096));
        yield return Case("port", "00000003" + "09" + "1ae1", PeerMessageId.Port, "1ae1", b => PeerMessages.WritePort(b, 6881));
        yield return Case("extended", "0000001a" + "14" + "00" + ToHex("d1:md11:ut_metadatai3eee"u8), PeerMessageId.Extended, "00" + ToHex("d1:md11:ut_metadatai3eee"u8),
            b => PeerMessages.WriteExtended(b, 0, "d1:md11:ut_metadatai3eee"u8));
    }

    private static TestCaseData Case(string name, string wire, PeerMessageId id, string payload, Func<byte[], int> write) =>
        new TestCaseData(wire, (int)id, payload, write).SetName($"{{m}}({name})");

    [TestCaseSource(nameof(Messages))]
    public void Written_exactly(string wire, int id, string payload, Func<byte[], int> write)
    {
        byte[] buffer = new byte[64];
        int length = write(buffer);

        Assert.That(ToHex(buffer.AsSpan(0, length)), Is.EqualTo(wire));
    }

    [TestCaseSource(nameof(Messages))]
    public async Task Read_back(string wire, int id, string payload, Func<byte[], int> write)
    {
        await using var connection = new PeerConnection(new ScriptedStream(Hex(wire)));

        PeerMessage message = await connection.ReadMessageAsync(CancellationToken.None);

        Assert.That(((int)message.Id, ToHex(message.Payload.Span)), Is.EqualTo((id, payload)));
    }

    [Test]
    public async Task Messages_split_across_reads_and_packed_in_one_read_come_out_one_by_one()
    {
        byte[] wire = Hex("00000005" + "04" + "00000007" + "00000000" + "00000001" + "01" + "00000003" + "09" + "1ae1");
        await using var connection = new PeerConnection(new ScriptedStream(wire) { ChunkSize = 3 });

        var read = new List<(PeerMessageId, string)>();
        for (int i = 0; i < 4; i++)
        {
            PeerMessage message = await connection.ReadMessageAsync(CancellationToken.None);
            read.Add((message.Id, ToHex(message.Payload.Span)));
        }

        Assert.That(read, Is.EqualTo(new[] { (PeerMessageId.Have, "00000007"), (PeerMessageId.KeepAlive, ""), (PeerMessageId.Unchoke, ""), (PeerMessageId.Port, "1ae1") }));
        Assert.That(connection.BytesReceived, Is.EqualTo(wire.Length));
    }
}

using System.Net;
using System.Security.Cryptography;
using MainlineDht.PeerWire.Metadata;
using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.Protocol;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Metadata;

/// <summary>
/// BEP 9 metadata from scripted peers on loopback TCP: the exchange byte for byte, and every way
/// a peer can lie or fail, each a clear error in its report.
/// </summary>
public sealed class MetadataFetcherTests
{
    private static readonly MetadataFetchOptions Options = new() { LoopbackOnly = true, PeerTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>34,000 bytes of metadata: three ut_metadata pieces (16 KiB, 16 KiB, 1,293 bytes).</summary>
    private static readonly TestTorrent Large = TestTorrent.SingleFile("large", 1, Bytes.Random(1700, 3));

    [Test]
    public async Task The_metadata_comes_in_16_KiB_pieces_requested_with_the_peers_id_and_is_verified()
    {
        Assert.That(Large.Metadata.Length, Is.EqualTo(34061), "three pieces");
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { UtMetadataId = 7 });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(result.Succeeded, Is.True, Describe(result));
        Assert.Multiple(() =>
        {
            Assert.That(result.Info!.Metadata.ToArray(), Is.EqualTo(Large.Metadata));
            Assert.That(result.Peer, Is.EqualTo(peer.EndPoint));
            PeerMetadataReport report = result.Peers.Single();
            Assert.That((report.Outcome, report.Client, report.MetadataSize), Is.EqualTo((PeerOutcome.Succeeded, "FakePeer 1.0", (long?)34061)));

            // Our handshake: reserved bits for BEP 10 and the DHT, the infohash, our -MD peer id.
            Assert.That(ToHex(script.Handshake!.AsSpan(0, 48)), Is.EqualTo("13" + ToHex("BitTorrent protocol"u8) + "0000000000100001" + Large.Info.InfoHash));
            Assert.That(Text(script.Handshake.AsSpan(48, 8)), Is.EqualTo("-MD0100-"));
            // Our extended handshake offers ut_metadata under our own id, 3.
            Assert.That(Text(script.ExtendedHandshake), Is.EqualTo("d1:md11:ut_metadatai3ee1:v15:MainlineDht 0.1e"));
            // Our requests carry the peer's id, 7.
            Assert.That(script.Requests.Select(r => (r.ExtendedId, Text(r.Payload))), Is.EqualTo(new[]
            {
                ((byte)7, "d8:msg_typei0e5:piecei0ee"),
                ((byte)7, "d8:msg_typei0e5:piecei1ee"),
                ((byte)7, "d8:msg_typei0e5:piecei2ee"),
            }));
        });
        Assert.That(peer.Faults, Is.Empty);
    }

    [Test]
    public async Task Libtorrents_hybrid_metadata_is_fetched_and_parsed()
    {
        var script = new MetadataPeer(LibtorrentVector.Metadata);
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(NodeId.Parse(LibtorrentVector.InfoHash), [peer.EndPoint], Options);

        Assert.That(result.Succeeded, Is.True, Describe(result));
        Assert.That((result.Info!.Name, result.Info.IsHybrid, result.Info.Files.Count(f => !f.IsPadding)), Is.EqualTo(("small", true, 3)));
    }

    [Test]
    public async Task A_metadata_size_above_the_bound_is_refused_before_anything_is_allocated()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { AnnouncedSize = 1L << 40 });
        await using var peer = FakePeer.Start(script.RunAsync);

        long before = GC.GetTotalAllocatedBytes(precise: true);
        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        PeerMetadataReport report = AssertFailed(result, PeerProtocolError.MetadataTooLarge);
        Assert.That(report.Message, Is.EqualTo("the peer announced metadata_size 1099511627776; at most 4194304 bytes are accepted"));
        Assert.That(report.MetadataSize, Is.EqualTo(1L << 40));
        Assert.That(script.Requests, Is.Empty, "nothing was requested");
        Assert.That(allocated, Is.LessThan(16 * 1024 * 1024), "nothing near the announced size was allocated");
    }

    [Test]
    public async Task The_bound_is_an_option()
    {
        var script = new MetadataPeer(Large.Metadata);
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options with { MaxMetadataSize = 34060 });

        Assert.That(AssertFailed(result, PeerProtocolError.MetadataTooLarge).Message, Does.Contain("at most 34060 bytes"));
    }

    [TestCase(-1L, "the peer's extended handshake has no metadata_size")]
    [TestCase(0L, "the peer announced metadata_size 0")]
    [TestCase(-5L, "the peer announced metadata_size -5")]
    public async Task A_missing_or_impossible_metadata_size_is_refused(long announced, string message)
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { AnnouncedSize = announced });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.MetadataSizeMissing).Message, Is.EqualTo(message));
    }

    [Test]
    public async Task A_total_size_that_differs_from_the_announced_size_is_refused()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { TotalSize = 99999 });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.MetadataSizeMismatch).Message,
            Is.EqualTo("the peer's metadata piece says total_size 99999, but its handshake announced metadata_size 34061"));
    }

    [Test]
    public async Task A_piece_that_was_not_requested_is_refused()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { PieceIndex = 5 });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.WrongMetadataPiece).Message, Is.EqualTo("the peer sent metadata piece 5; the metadata has pieces 0 to 2"));
    }

    [Test]
    public async Task A_piece_sent_twice_is_refused()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { PieceIndex = 0 });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.WrongMetadataPiece).Message, Is.EqualTo("the peer sent metadata piece 0 twice"));
    }

    [TestCase(1, "has 16385 bytes; it must have 16384")]
    [TestCase(-1, "has 16383 bytes; it must have 16384")]
    public async Task A_piece_of_the_wrong_length_is_refused(int error, string message)
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { DataLengthError = error });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.WrongMetadataPiece).Message, Does.Contain(message));
    }

    [Test]
    public async Task Metadata_whose_hash_is_not_the_infohash_is_refused()
    {
        byte[] forged = (byte[])Large.Metadata.Clone();
        forged[^30] ^= 0x01;
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { ServedMetadata = forged });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.MetadataHashMismatch).Message,
            Is.EqualTo($"the peer's 34061 bytes of metadata hash to {ToHex(SHA1.HashData(forged))}, not the infohash {Large.Info.InfoHash}"));
    }

    [Test]
    public async Task A_peer_that_disconnects_mid_transfer_is_a_closed_connection()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { DisconnectAtPiece = 1 });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.ConnectionClosed).Message, Does.StartWith("the peer closed the connection in the middle of a message"));
    }

    [Test]
    public async Task A_rejected_request_ends_that_peer()
    {
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Reject = true });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.MetadataRejected).Message, Is.EqualTo("the peer rejected the request for metadata piece 0"));
    }

    [Test]
    public async Task A_peer_without_the_extension_protocol_or_ut_metadata_cannot_give_metadata()
    {
        await using var noBep10 = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Extensions = false }).RunAsync);
        await using var noBep9 = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { NoUtMetadata = true }).RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [noBep10.EndPoint, noBep9.EndPoint], Options);

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Peers.Select(p => (p.EndPoint, p.Error)), Is.EquivalentTo(new[]
        {
            (noBep10.EndPoint, (PeerProtocolError?)PeerProtocolError.NoExtensionProtocol),
            (noBep9.EndPoint, (PeerProtocolError?)PeerProtocolError.NoMetadataExtension),
        }));
    }

    [Test]
    public async Task A_flood_of_oversized_messages_ends_at_the_first()
    {
        // A 16 MiB extended message announced, then data that never ends.
        byte[] flood = [.. Hex("01000000" + "14"), .. new byte[64 * 1024]];
        var script = new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Flood = flood });
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.MessageTooLarge).Message, Is.EqualTo("the peer announced a extended message of 16777216 bytes; at most 262144 are accepted"));
    }

    [Test]
    public async Task Metadata_that_hashes_right_but_escapes_the_output_folder_is_refused()
    {
        byte[] evil = TestTorrent.Encode("t", 16384, new byte[10], [(["..", "..", "etc", "passwd"], 10, false)], null);
        var script = new MetadataPeer(evil);
        await using var peer = FakePeer.Start(script.RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(new NodeId(SHA1.HashData(evil)), [peer.EndPoint], Options);

        Assert.That(AssertFailed(result, PeerProtocolError.InvalidMetadata).Message,
            Is.EqualTo("the metadata hashes right but is not a usable info dictionary: the path '../../etc/passwd' has the component '..', which would leave its folder"));
    }

    [Test]
    public async Task A_silent_peer_times_out()
    {
        await using var peer = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Silent = true }).RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [peer.EndPoint], Options with { PeerTimeout = TimeSpan.FromMilliseconds(300) });

        Assert.That(result.Succeeded, Is.False);
        Assert.That((result.Peers.Single().Outcome, result.Peers.Single().Message), Is.EqualTo((PeerOutcome.TimedOut, "no metadata within 0.3 s")));
    }

    [Test]
    public async Task The_first_verified_peer_wins_and_a_liar_beside_it_changes_nothing()
    {
        byte[] forged = (byte[])Large.Metadata.Clone();
        forged[100] ^= 0x01;
        await using var liar = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { ServedMetadata = forged }).RunAsync);
        await using var silent = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Silent = true }).RunAsync);
        // The honest peer answers last: the liar's metadata has been checked (and refused) by then.
        await using var honest = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Delay = TimeSpan.FromMilliseconds(300) }).RunAsync);

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [liar.EndPoint, silent.EndPoint, honest.EndPoint], Options);

        Assert.That(result.Succeeded, Is.True, Describe(result));
        Assert.That(result.Peer, Is.EqualTo(honest.EndPoint));
        Assert.That(result.Info!.InfoHash, Is.EqualTo(Large.Info.InfoHash));
        Assert.That(result.Peers.Select(p => (p.EndPoint, p.Outcome)), Is.EquivalentTo(new[]
        {
            (liar.EndPoint, PeerOutcome.ProtocolError),
            (silent.EndPoint, PeerOutcome.Cancelled),
            (honest.EndPoint, PeerOutcome.Succeeded),
        }), Describe(result));
    }

    [Test]
    public async Task Peers_are_asked_concurrently_up_to_the_bound_and_each_address_once()
    {
        await using var slow1 = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Silent = true }).RunAsync);
        await using var slow2 = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Silent = true }).RunAsync);
        await using var honest = FakePeer.Start(new MetadataPeer(Large.Metadata).RunAsync);

        // Two at a time: the honest peer waits for a slot until a silent one times out.
        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash,
            [slow1.EndPoint, slow1.EndPoint, slow2.EndPoint, honest.EndPoint],
            Options with { MaxConcurrentPeers = 2, PeerTimeout = TimeSpan.FromMilliseconds(500) });

        Assert.That(result.Succeeded, Is.True, Describe(result));
        Assert.That(result.Peers.Select(p => p.EndPoint), Is.EqualTo(new[] { slow1.EndPoint, slow2.EndPoint, honest.EndPoint }));
        Assert.That(result.Peers[0].Outcome, Is.EqualTo(PeerOutcome.TimedOut));
        Assert.That(result.Peers[1].Outcome, Is.AnyOf(PeerOutcome.TimedOut, PeerOutcome.Cancelled), "timed out, or stopped by the winner a moment before");
        Assert.That(result.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450)), "the honest peer waited for a slot");
        Assert.That(slow1.Accepted, Is.EqualTo(1));
    }

    [Test]
    public async Task Loopback_only_refuses_other_addresses_without_connecting()
    {
        IPEndPoint documentation = IPEndPoint.Parse("192.0.2.1:6881");

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [documentation], Options);

        Assert.That((result.Peers.Single().Outcome, result.Peers.Single().Message), Is.EqualTo((PeerOutcome.Refused, "not contacted: only loopback peers are allowed")));
    }

    [Test]
    public async Task A_closed_port_is_unreachable()
    {
        IPEndPoint closed;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closed = (IPEndPoint)listener.LocalEndpoint;
        }

        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [closed], Options);

        Assert.That(result.Peers.Single().Outcome, Is.EqualTo(PeerOutcome.Unreachable));
        Assert.That(result.Peers.Single().Message, Does.StartWith("could not connect: "));
    }

    [Test]
    public async Task No_peers_is_no_metadata()
    {
        MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [], Options);

        Assert.That((result.Succeeded, result.Peers.Count), Is.EqualTo((false, 0)));
    }

    [Test]
    public async Task Cancellation_is_thrown()
    {
        await using var silent = FakePeer.Start(new MetadataPeer(Large.Metadata, new MetadataPeerBehaviour { Silent = true }).RunAsync);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<OperationCanceledException>(() => MetadataFetcher.FetchMetadataAsync(Large.Info.InfoHash, [silent.EndPoint], Options, cancel.Token));
    }

    private static PeerMetadataReport AssertFailed(MetadataFetchResult result, PeerProtocolError error)
    {
        Assert.That(result.Succeeded, Is.False);
        PeerMetadataReport report = result.Peers.Single();
        Assert.That((report.Outcome, report.Error), Is.EqualTo((PeerOutcome.ProtocolError, (PeerProtocolError?)error)), report.Message);
        return report;
    }

    private static string Describe(MetadataFetchResult result) =>
        string.Join("; ", result.Peers.Select(p => $"{p.EndPoint}: {p.Outcome} {p.Error} {p.Message}"));
}

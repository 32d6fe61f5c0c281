using System.Collections.Concurrent;
using MainlineDht.PeerWire.Download;
using MainlineDht.PeerWire.Tests.Support;

namespace MainlineDht.PeerWire.Tests.Download;

/// <summary>
/// The downloader against scripted seeders on loopback TCP: every byte lands where it belongs,
/// requests are pipelined, a bad piece is fetched again from another peer, and every way a peer
/// can break the protocol ends that peer with a clear error.
/// </summary>
public sealed class TorrentDownloaderTests
{
    private static readonly TorrentDownloaderOptions Options = new() { LoopbackOnly = true, PeerTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>Three files in folders, 16 KiB pieces, BEP 47 pad files after each: 18 pieces.</summary>
    private static readonly TestTorrent Torrent = TestTorrent.MultiFile("set", 16384, padFiles: true,
        ("a/one.bin", Bytes.Random(100_000, 1)),
        ("a/b/two.bin", Bytes.Random(150_000, 2)),
        ("three.txt", Bytes.Random(30, 3)));

    private string _output = null!;

    [SetUp]
    public void CreateOutput() => _output = Directory.CreateTempSubdirectory("peerwire-download-").FullName;

    [TearDown]
    public void DeleteOutput() => Directory.Delete(_output, recursive: true);

    [Test]
    public async Task Every_file_is_written_under_the_output_folder_and_pad_files_are_not()
    {
        var seeder = new Seeder(Torrent);
        await using var peer = FakePeer.Start(seeder.RunAsync);
        var downloader = new TorrentDownloader(Torrent.Info, _output, Options);
        var progress = new ConcurrentQueue<DownloadProgress>();
        downloader.ProgressChanged += (_, p) => progress.Enqueue(p);

        DownloadResult result = await downloader.DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        AssertFilesMatch(Torrent);
        Assert.That(Directory.GetFileSystemEntries(_output, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_output, p)).Order(),
            Is.EqualTo(new[] { "set", "set/a", "set/a/b", "set/a/b/two.bin", "set/a/one.bin", "set/three.txt" }), "no .pad folder");
        Assert.That(result.Files, Is.EqualTo(new[] { "a/one.bin", "a/b/two.bin", "three.txt" }.Select(f => Path.Combine(_output, "set", f))));
        Assert.That((result.PiecesVerified, result.PieceCount), Is.EqualTo((Torrent.Info.PieceCount, Torrent.Info.PieceCount)));
        Assert.That(progress.Select(p => p.PiecesVerified).Order(), Is.EqualTo(Enumerable.Range(1, Torrent.Info.PieceCount)), "one event per verified piece");
        Assert.That(progress.Max(p => p.BytesVerified), Is.EqualTo(Torrent.Info.TotalLength));
        PeerDownloadReport report = result.Peers.Single();
        Assert.That((report.Outcome, report.Client, report.PiecesVerified, report.HashFailures), Is.EqualTo((PeerOutcome.Succeeded, "FakeSeeder 1.0", Torrent.Info.PieceCount, 0)));
        Assert.That(seeder.Requests.Select(r => r.Length), Has.All.LessThanOrEqualTo(16384));
        Assert.That(peer.Faults, Is.Empty);
    }

    [Test]
    public async Task Libtorrents_hybrid_is_downloaded_without_its_pad_files()
    {
        TestTorrent vector = TestTorrent.FromMetadata(LibtorrentVector.Metadata, LibtorrentVector.Data);
        await using var peer = FakePeer.Start(new Seeder(vector).RunAsync);

        DownloadResult result = await new TorrentDownloader(vector.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        Assert.That(File.ReadAllBytes(Path.Combine(_output, "small", "data.bin")), Is.EqualTo(LibtorrentVector.DataBin));
        Assert.That(File.ReadAllText(Path.Combine(_output, "small", "docs", "readme.txt")), Is.EqualTo("hello world\n"));
        Assert.That(File.ReadAllText(Path.Combine(_output, "small", "z.txt")), Is.EqualTo("abc"));
        Assert.That(Directory.Exists(Path.Combine(_output, "small", ".pad")), Is.False);
    }

    [Test]
    public async Task Pieces_that_span_files_are_split_between_them()
    {
        // No pad files: most pieces hold the end of one file and the start of the next; one file is empty.
        TestTorrent packed = TestTorrent.MultiFile("packed", 16384, padFiles: false,
            ("x/1", Bytes.Random(20_000, 5)), ("x/empty", []), ("2", Bytes.Random(5, 6)), ("y/z/3", Bytes.Random(40_000, 7)));
        await using var peer = FakePeer.Start(new Seeder(packed).RunAsync);

        DownloadResult result = await new TorrentDownloader(packed.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        Assert.That(packed.Info.PieceCount, Is.EqualTo(4));
        AssertFilesMatch(packed);
    }

    [Test]
    public async Task A_single_file_torrent_is_written_as_one_file()
    {
        TestTorrent single = TestTorrent.SingleFile("movie.mkv", 32768, Bytes.Random(200_000, 9));
        await using var peer = FakePeer.Start(new Seeder(single).RunAsync);

        DownloadResult result = await new TorrentDownloader(single.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        Assert.That(File.ReadAllBytes(Path.Combine(_output, "movie.mkv")), Is.EqualTo(single.Data));
    }

    [Test]
    public async Task Sixteen_block_requests_are_outstanding_at_once()
    {
        var seeder = new Seeder(Torrent, new SeederBehaviour { CollectRequests = true });
        await using var peer = FakePeer.Start(seeder.RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        Assert.That(seeder.RequestsBeforeFirstAnswer, Is.EqualTo(16), "the pipeline is full and no fuller");
        Assert.That(seeder.Requests.Take(16).Select(r => (r.Piece, r.Offset)), Is.EqualTo(Enumerable.Range(0, 16).Select(i => (i, 0))), "16 KiB pieces: one block each, lowest first");
    }

    [Test]
    public async Task The_pipeline_follows_a_smaller_reqq()
    {
        TestTorrent big = TestTorrent.SingleFile("big", 262144, Bytes.Random(600_000, 4));
        var seeder = new Seeder(big, new SeederBehaviour { CollectRequests = true });
        await using var peer = FakePeer.Start(seeder.RunAsync);

        DownloadResult result = await new TorrentDownloader(big.Info, _output, Options with { PipelineDepth = 4 }).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        Assert.That(seeder.RequestsBeforeFirstAnswer, Is.EqualTo(4));
        Assert.That(seeder.Requests.Take(4).Select(r => (r.Piece, r.Offset, r.Length)), Is.EqualTo(new[] { (0, 0, 16384), (0, 16384, 16384), (0, 32768, 16384), (0, 49152, 16384) }));
    }

    [Test]
    public async Task A_piece_that_fails_its_hash_is_fetched_again_from_another_peer()
    {
        // The liar corrupts every piece and answers at once; the honest seeder unchokes late.
        var liar = new Seeder(Torrent, new SeederBehaviour { CorruptAll = true, Client = "Liar 1.0" });
        var honest = new Seeder(Torrent, new SeederBehaviour { UnchokeDelay = TimeSpan.FromMilliseconds(300) });
        await using var liarPeer = FakePeer.Start(liar.RunAsync);
        await using var honestPeer = FakePeer.Start(honest.RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([liarPeer.EndPoint, honestPeer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        AssertFilesMatch(Torrent);
        PeerDownloadReport liarReport = result.Peers.Single(p => p.EndPoint.Equals(liarPeer.EndPoint));
        Assert.That((liarReport.Outcome, liarReport.Error, liarReport.HashFailures, liarReport.PiecesVerified),
            Is.EqualTo((PeerOutcome.ProtocolError, (PeerProtocolError?)PeerProtocolError.TooManyHashFailures, 3, 0)), liarReport.Message);
        Assert.That(liarReport.Message, Does.StartWith("3 pieces from the peer failed their hash check"));
        var failedByLiar = liar.Requests.Select(r => r.Piece).Distinct().ToList();
        Assert.That(honest.Requests.Select(r => r.Piece), Is.SupersetOf(failedByLiar), "each failed piece came from the honest peer");
        Assert.That(result.Peers.Single(p => p.EndPoint.Equals(honestPeer.EndPoint)).PiecesVerified, Is.EqualTo(Torrent.Info.PieceCount));
    }

    [Test]
    public async Task With_only_a_lying_peer_the_download_does_not_complete()
    {
        var liar = new Seeder(Torrent, new SeederBehaviour { CorruptPieces = new HashSet<int> { 2 } });
        await using var peer = FakePeer.Start(liar.RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options with { PeerTimeout = TimeSpan.FromMilliseconds(500) }).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.False);
        Assert.That(result.PiecesVerified, Is.EqualTo(Torrent.Info.PieceCount - 1));
        Assert.That(liar.Requests.Count(r => r.Piece == 2), Is.EqualTo(1), "a piece a peer failed is never asked of it again");
        PeerDownloadReport report = result.Peers.Single();
        Assert.That((report.Outcome, report.Error, report.HashFailures), Is.EqualTo((PeerOutcome.TimedOut, (PeerProtocolError?)PeerProtocolError.Stalled, 1)), report.Message);
    }

    [Test]
    public async Task A_peer_that_disconnects_mid_transfer_leaves_its_pieces_to_another()
    {
        var quitter = new Seeder(Torrent, new SeederBehaviour { DisconnectAfterBlocks = 5 });
        var honest = new Seeder(Torrent, new SeederBehaviour { UnchokeDelay = TimeSpan.FromMilliseconds(200) });
        await using var quitterPeer = FakePeer.Start(quitter.RunAsync);
        await using var honestPeer = FakePeer.Start(honest.RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([quitterPeer.EndPoint, honestPeer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        AssertFilesMatch(Torrent);
        PeerDownloadReport report = result.Peers.Single(p => p.EndPoint.Equals(quitterPeer.EndPoint));
        Assert.That((report.Outcome, report.Error, report.PiecesVerified), Is.EqualTo((PeerOutcome.ProtocolError, (PeerProtocolError?)PeerProtocolError.ConnectionClosed, 5)), report.Message);
    }

    [Test]
    public async Task A_choke_drops_the_outstanding_requests_and_they_are_asked_again_after_the_unchoke()
    {
        var seeder = new Seeder(Torrent, new SeederBehaviour { ChokeAfterBlocks = 3 });
        await using var peer = FakePeer.Start(seeder.RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.True, Describe(result));
        AssertFilesMatch(Torrent);
        Assert.That(seeder.Requests.Count(r => r.Piece == 5), Is.EqualTo(2), "a piece requested before the choke was requested again");
    }

    [Test]
    public async Task A_peer_that_never_unchokes_stalls()
    {
        await using var peer = FakePeer.Start(new Seeder(Torrent, new SeederBehaviour { NeverUnchoke = true }).RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options with { PeerTimeout = TimeSpan.FromMilliseconds(400) }).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.False);
        PeerDownloadReport report = result.Peers.Single();
        Assert.That((report.Outcome, report.Error), Is.EqualTo((PeerOutcome.TimedOut, (PeerProtocolError?)PeerProtocolError.Stalled)));
        Assert.That(report.Message, Does.StartWith("no data for 0.4 s while it had work"));
    }

    [Test]
    public async Task A_peer_without_the_missing_pieces_is_dropped_once_it_stalls()
    {
        bool[] has = new bool[Torrent.Info.PieceCount];
        has[0] = true;
        await using var peer = FakePeer.Start(new Seeder(Torrent, new SeederBehaviour { Has = has }).RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options with { PeerTimeout = TimeSpan.FromMilliseconds(400) }).DownloadAsync([peer.EndPoint]);

        Assert.That((result.Completed, result.PiecesVerified), Is.EqualTo((false, 1)));
        Assert.That(result.Peers.Single().Outcome, Is.EqualTo(PeerOutcome.TimedOut));
    }

    [TestCase("wrong size", PeerProtocolError.BadBitfield, "the peer's bitfield has 2 bytes; 18 pieces take 3")]
    [TestCase("spare bits", PeerProtocolError.BadBitfield, "the peer's bitfield has spare bits set after the last piece")]
    [TestCase("late bitfield", PeerProtocolError.BadBitfield, "the peer sent a bitfield after other messages")]
    [TestCase("have out of range", PeerProtocolError.BadHave, "the peer has piece 18, but the torrent has pieces 0 to 17")]
    [TestCase("block of no piece", PeerProtocolError.WrongBlock, "the peer sent a block of piece 99, but the torrent has pieces 0 to 17")]
    [TestCase("short block", PeerProtocolError.WrongBlock, "the peer sent 16383 bytes for the block at 0 of piece 0; 16384 were requested")]
    [TestCase("unrequested flood", PeerProtocolError.UnrequestedData, "the peer sent more than 64 blocks that were not requested")]
    [TestCase("oversized", PeerProtocolError.MessageTooLarge, "the peer announced a piece message of 1048576 bytes; at most 16393 are accepted")]
    public async Task A_peer_that_breaks_the_protocol_is_dropped_with_the_reason(string fault, PeerProtocolError error, string message)
    {
        SeederBehaviour behaviour = fault switch
        {
            "wrong size" => new SeederBehaviour { Bitfield = [0xff, 0xff] },
            "spare bits" => new SeederBehaviour { Bitfield = [0xff, 0xff, 0xff] },
            "late bitfield" => new SeederBehaviour { Extra = Message(5, [0xff, 0xff, 0xc0]) },
            "have out of range" => new SeederBehaviour { Extra = Message(4, [0, 0, 0, 18]) },
            "block of no piece" => new SeederBehaviour { Extra = Message(7, [0, 0, 0, 99, 0, 0, 0, 0, 1, 2, 3]) },
            "short block" => new SeederBehaviour { BlockLengthError = -1 },
            "unrequested flood" => new SeederBehaviour { Extra = [.. Enumerable.Range(0, 65).SelectMany(_ => Message(7, [0, 0, 0, 17, 0, 0, 0, 0, .. new byte[16]]))] },
            "oversized" => new SeederBehaviour { Extra = [0, 0x10, 0, 0, 7] },
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        await using var peer = FakePeer.Start(new Seeder(Torrent, behaviour).RunAsync);

        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([peer.EndPoint]);

        Assert.That(result.Completed, Is.False);
        PeerDownloadReport report = result.Peers.Single();
        Assert.That((report.Outcome, report.Error), Is.EqualTo((PeerOutcome.ProtocolError, (PeerProtocolError?)error)), report.Message);
        Assert.That(report.Message, Does.StartWith(message));
    }

    [Test]
    public async Task Loopback_only_refuses_other_addresses()
    {
        DownloadResult result = await new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([System.Net.IPEndPoint.Parse("192.0.2.7:51413")]);

        Assert.That((result.Completed, result.Peers.Single().Outcome), Is.EqualTo((false, PeerOutcome.Refused)));
    }

    [Test]
    public async Task Cancellation_is_thrown()
    {
        await using var peer = FakePeer.Start(new Seeder(Torrent, new SeederBehaviour { NeverUnchoke = true }).RunAsync);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<OperationCanceledException>(() => new TorrentDownloader(Torrent.Info, _output, Options).DownloadAsync([peer.EndPoint], cancel.Token));
    }

    [Test]
    public void A_piece_length_above_the_bound_is_refused()
    {
        TestTorrent big = TestTorrent.SingleFile("big", 4 * 1024 * 1024, new byte[10]);

        var e = Assert.Throws<MainlineDht.PeerWire.Torrent.InvalidTorrentException>(() => new TorrentDownloader(big.Info, _output, Options with { MaxPieceLength = 1024 * 1024 }));

        Assert.That(e!.Message, Is.EqualTo("the piece length 4194304 is above the downloader's limit of 1048576 bytes"));
    }

    private static byte[] Message(int id, byte[] payload) =>
        [.. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(1 + payload.Length)), (byte)id, .. payload];

    private void AssertFilesMatch(TestTorrent torrent)
    {
        foreach ((string path, byte[] content) in torrent.Files)
        {
            Assert.That(File.ReadAllBytes(Path.Combine([_output, torrent.Info.Name, .. path.Split('/')])), Is.EqualTo(content), path);
        }
    }

    private static string Describe(DownloadResult result) =>
        $"{result.PiecesVerified}/{result.PieceCount}: " + string.Join("; ", result.Peers.Select(p => $"{p.EndPoint}: {p.Outcome} {p.Error} {p.Message}"));
}

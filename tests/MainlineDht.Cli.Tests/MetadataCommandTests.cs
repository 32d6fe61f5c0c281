using System.Net;
using System.Text.Json;
using MainlineDht.Cli.Tests.Support;
using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.Protocol;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// <c>mainline-dht metadata</c>: peers from a loopback swarm's DHT, the metadata from a scripted
/// BitTorrent peer over TCP (the interop suite does the same against libtorrent).
/// </summary>
[NonParallelizable]
public sealed class MetadataCommandTests
{
    private static readonly TestTorrent Torrent = TestTorrent.MultiFile("album", 16384, padFiles: true,
        ("cd1/01.flac", Bytes.Random(40_000, 1)), ("cd1/02.flac", Bytes.Random(20_000, 2)), ("cover.jpg", Bytes.Random(3_000, 3)));

    private LoopbackSwarm _swarm = null!;
    private string _directory = null!;

    [SetUp]
    public async Task StartSwarm()
    {
        _swarm = await LoopbackSwarm.StartAsync("127.0.31", 6);
        _directory = Directory.CreateTempSubdirectory("mainline-dht-metadata-").FullName;
    }

    [TearDown]
    public async Task StopSwarm()
    {
        await _swarm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Json_gives_the_torrents_name_size_and_files_and_the_torrent_file_is_saved()
    {
        IPEndPoint peer = await AnnouncedPeerAsync(new MetadataPeer(Torrent.Metadata).RunAsync, out FakePeer seeder);
        await using (seeder)
        {
            string file = Path.Combine(_directory, "album.torrent");
            ToolRun run = await Tool.RunAsync("metadata", $"magnet:?xt=urn:btih:{Torrent.Info.InfoHash}&dn=album", "--bind", "127.0.31.100", "--bootstrap", _swarm.Hub, "--json", "--output", file);

            Assert.That(run.ExitCode, Is.Zero, run.Stderr);
            using JsonDocument json = JsonDocument.Parse(run.Stdout);
            JsonElement root = json.RootElement;
            Assert.Multiple(() =>
            {
                Assert.That(root.GetProperty("infohash").GetString(), Is.EqualTo(Torrent.Info.InfoHash.ToString()));
                Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("album"));
                Assert.That(root.GetProperty("length").GetInt64(), Is.EqualTo(63_000));
                Assert.That(root.GetProperty("piece_length").GetInt32(), Is.EqualTo(16384));
                Assert.That(root.GetProperty("pieces").GetInt32(), Is.EqualTo(Torrent.Info.PieceCount));
                Assert.That(root.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("path").GetString(), f.GetProperty("length").GetInt64())),
                    Is.EqualTo(new[] { ("cd1/01.flac", 40_000L), ("cd1/02.flac", 20_000L), ("cover.jpg", 3_000L) }), "pad files are not listed");
                Assert.That(root.GetProperty("peer").GetString(), Is.EqualTo(peer.ToString()));
                JsonElement report = root.GetProperty("peers").EnumerateArray().Single();
                Assert.That((report.GetProperty("outcome").GetString(), report.GetProperty("client").GetString()), Is.EqualTo(("succeeded", "FakePeer 1.0")));
                Assert.That(root.GetProperty("warnings").GetArrayLength(), Is.Zero);
            });
            Assert.That(File.ReadAllBytes(file), Is.EqualTo((byte[])[.. "d4:info"u8, .. Torrent.Metadata, (byte)'e']));
        }
    }

    [Test]
    public async Task Text_lists_the_files()
    {
        IPEndPoint peer = await AnnouncedPeerAsync(new MetadataPeer(Torrent.Metadata).RunAsync, out FakePeer seeder);
        await using (seeder)
        {
            ToolRun run = await Tool.RunAsync("metadata", Torrent.Info.InfoHash.ToString(), "--bind", "127.0.31.101", "--bootstrap", _swarm.Hub);

            Assert.That(run.ExitCode, Is.Zero, run.Stderr);
            Assert.That(run.Stdout, Does.Contain("name:   album\n").And.Contain("size:   63,000 bytes in 3 files\n").And.Contain($"peer:   {peer} (")
                .And.Contain("         40000  cd1/01.flac\n").And.Contain("          3000  cover.jpg\n"));
            Assert.That(run.Stderr, Is.Empty);
        }
    }

    [Test]
    public async Task A_peer_whose_metadata_does_not_hash_to_the_infohash_gives_exit_1_and_the_reason()
    {
        byte[] forged = (byte[])Torrent.Metadata.Clone();
        forged[^25] ^= 1;
        IPEndPoint peer = await AnnouncedPeerAsync(new MetadataPeer(Torrent.Metadata, new MetadataPeerBehaviour { ServedMetadata = forged }).RunAsync, out FakePeer seeder);
        await using (seeder)
        {
            ToolRun run = await Tool.RunAsync("metadata", Torrent.Info.InfoHash.ToString(), "--bind", "127.0.31.102", "--bootstrap", _swarm.Hub);

            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Stdout, Is.Empty);
            Assert.That(run.Stderr, Does.StartWith($"error: no peer gave the metadata of {Torrent.Info.InfoHash} (1 tried)\n")
                .And.Contain($"  {peer}: the peer's {Torrent.Metadata.Length} bytes of metadata hash to "));
        }
    }

    [Test]
    public async Task No_peer_for_the_infohash_gives_exit_1()
    {
        NodeId unknown = NodeId.Parse("00000000000000000000000000000000000000aa");

        ToolRun run = await Tool.RunAsync("metadata", unknown.ToString(), "--bind", "127.0.31.103", "--bootstrap", _swarm.Hub, "--json");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stderr);
        using JsonDocument json = JsonDocument.Parse(run.Stdout);
        Assert.That(json.RootElement.GetProperty("peer").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(json.RootElement.GetProperty("files").GetArrayLength(), Is.Zero);
    }

    [TestCase("not-a-hash", "error: 'not-a-hash' is not an infohash (40 hex digits) or a magnet link.")]
    [TestCase("--peer-timeout=0", "error: --peer-timeout: 0 must be a positive number of seconds.")]
    public async Task Bad_arguments_are_one_line_and_exit_2(string argument, string error)
    {
        string[] args = argument.StartsWith("--", StringComparison.Ordinal)
            ? ["metadata", new string('a', 40), argument, "--bind", "127.0.31.104"]
            : ["metadata", argument, "--bind", "127.0.31.104"];

        ToolRun run = await Tool.RunAsync(args);

        Assert.That((run.ExitCode, run.Stderr.Trim()), Is.EqualTo((2, error)));
    }

    /// <summary>
    /// Starts a scripted BitTorrent peer on a swarm node's address and has that node announce the
    /// peer's TCP port: a lookup then finds exactly that peer.
    /// </summary>
    private Task<IPEndPoint> AnnouncedPeerAsync(Func<PeerScript, Task> script, out FakePeer seeder)
    {
        DhtNode announcer = _swarm.Nodes[3];
        seeder = FakePeer.Start(script, announcer.LocalEndPoint.Address.ToString());
        IPEndPoint peer = seeder.EndPoint;
        return AnnounceAsync(announcer, peer);
    }

    private static async Task<IPEndPoint> AnnounceAsync(DhtNode announcer, IPEndPoint peer)
    {
        var report = await announcer.AnnounceAsync(Torrent.Info.InfoHash, peer.Port);
        Assert.That(report.AnnouncedTo, Is.Not.Empty);
        return peer;
    }
}

using MainlineDht.Hosting.Tests.Support;
using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.Protocol;

namespace MainlineDht.Hosting.Tests;

/// <summary>The samples, built with the solution, run as a user runs them, on loopback only.</summary>
[NonParallelizable]
public sealed class SampleTests : LoopbackTest
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(90);

    [Test]
    public async Task FindPeersPrintsTheAnnouncedPeer()
    {
        NodeId infoHash = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
        (DhtNode holder, DhtNode announcer) = await TestHosts.StartNodeWithPeerAsync(infoHash, 51413);
        await using (holder)
        await using (announcer)
        {
            using SampleProcess findPeers = SampleProcess.Start("FindPeersDll", "--bootstrap", holder.HostPort(), infoHash.ToString());
            int exitCode = await findPeers.WaitForExitAsync(ProcessTimeout);

            Assert.That(exitCode, Is.Zero, findPeers.Errors);
            Assert.That(findPeers.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Is.EqualTo(new[] { "127.0.0.2:51413" }));
        }
    }

    [Test]
    public async Task FindPeersExitsWithOneWhenNoPeerIsFound()
    {
        await using DhtNode holder = await TestHosts.StartNodeAsync("127.0.0.1");

        using SampleProcess findPeers = SampleProcess.Start("FindPeersDll", "--bootstrap", holder.HostPort(), new string('b', 40));
        int exitCode = await findPeers.WaitForExitAsync(ProcessTimeout);

        Assert.That(exitCode, Is.EqualTo(1), findPeers.Errors);
        Assert.That(findPeers.Output, Is.Empty);
    }

    [Test]
    public async Task FindPeersExplainsItsArguments()
    {
        using SampleProcess findPeers = SampleProcess.Start("FindPeersDll", "not-an-infohash");
        int exitCode = await findPeers.WaitForExitAsync(ProcessTimeout);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(findPeers.Errors, Does.StartWith("usage: FindPeers --bootstrap host:port"));
    }

    [Test]
    public async Task TrackerlessDownloadGetsEveryFileFromAPeerTheDhtFound()
    {
        TestTorrent torrent = TestTorrent.MultiFile("photos", 16384, padFiles: true,
            ("2024/a.jpg", Bytes.Random(70_000, 1)), ("2024/b.jpg", Bytes.Random(33_333, 2)), ("index.html", Bytes.Random(500, 3)));
        // The seeder listens on the announcing node's address; the DHT hands out that address and port.
        await using FakePeer seeder = FakePeer.Start(new Seeder(torrent).RunAsync, "127.0.0.2");
        (DhtNode holder, DhtNode announcer) = await TestHosts.StartNodeWithPeerAsync(torrent.Info.InfoHash, seeder.EndPoint.Port);
        string output = Directory.CreateTempSubdirectory("mainline-dht-sample-").FullName;
        await using (holder)
        await using (announcer)
        {
            try
            {
                using SampleProcess download = SampleProcess.Start("TrackerlessDownloadDll",
                    "--bootstrap", holder.HostPort(), "--bind", "127.0.0.17", "--output", output, $"magnet:?xt=urn:btih:{torrent.Info.InfoHash}&dn=photos");
                int exitCode = await download.WaitForExitAsync(ProcessTimeout);

                Assert.That(exitCode, Is.Zero, download.Errors + download.Output);
                Assert.That(download.Output, Does.StartWith($"1 peers for {torrent.Info.InfoHash}\nphotos: 3 files, 0.1 MiB, metadata from {seeder.EndPoint}\n"));
                Assert.That(download.Output, Does.Contain("100% (9/9 pieces)").And.Contain("downloaded 147456 bytes in "));
                foreach ((string path, byte[] content) in torrent.Files)
                {
                    Assert.That(File.ReadAllBytes(Path.Combine([output, "photos", .. path.Split('/')])), Is.EqualTo(content), path);
                }

                Assert.That(Directory.Exists(Path.Combine(output, "photos", ".pad")), Is.False, "pad files are not written");
                Assert.That(seeder.Faults, Is.Empty);
            }
            finally
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Test]
    public async Task TrackerlessDownloadExitsWithOneWhenNoPeerIsFound()
    {
        await using DhtNode holder = await TestHosts.StartNodeAsync("127.0.0.1");

        using SampleProcess download = SampleProcess.Start("TrackerlessDownloadDll", "--bootstrap", holder.HostPort(), "--bind", "127.0.0.18", $"magnet:?xt=urn:btih:{new string('c', 40)}");
        int exitCode = await download.WaitForExitAsync(ProcessTimeout);

        Assert.That(exitCode, Is.EqualTo(1), download.Errors);
        Assert.That(download.Output.Trim(), Is.EqualTo($"0 peers for {new string('c', 40)}"));
    }

    [Test]
    public async Task TrackerlessDownloadExplainsItsArguments()
    {
        using SampleProcess download = SampleProcess.Start("TrackerlessDownloadDll", "--bootstrap", "127.0.0.1:6881", "magnet:?dn=no-infohash");
        int exitCode = await download.WaitForExitAsync(ProcessTimeout);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(download.Errors, Does.StartWith("usage: TrackerlessDownload --bootstrap host:port"));
    }

    [Test]
    public async Task HostedNodeRunsForItsDurationJoinsAndSavesItsState()
    {
        await using DhtNode bootstrap = await TestHosts.StartNodeAsync("127.0.0.1");
        string directory = Directory.CreateTempSubdirectory("mainline-dht-sample-").FullName;
        string stateFile = Path.Combine(directory, "dht-state.json");
        try
        {
            using SampleProcess hosted = SampleProcess.Start("HostedNodeDll",
                "--duration", "4",
                "--MainlineDht:BindAddress=127.0.0.14",
                "--Urls=http://127.0.0.14:0",
                "--MainlineDht:Port=0",
                $"--MainlineDht:BootstrapNodes:0={bootstrap.HostPort()}",
                $"--MainlineDht:StateFile={stateFile}",
                "--StatusInterval=00:00:01");
            int exitCode = await hosted.WaitForExitAsync(ProcessTimeout);

            Assert.Multiple(() =>
            {
                Assert.That(exitCode, Is.Zero, hosted.Errors + hosted.Output);
                Assert.That(hosted.Output, Does.Contain("started on 127.0.0.14:"));
                Assert.That(hosted.Output, Does.Contain("DHT node joined the network: 1 nodes in the routing table"));
                Assert.That(hosted.Output, Does.Contain("nodes in the routing table;"), "the status reporter ran");
                Assert.That(hosted.Output, Does.Contain($"DHT state saved to {stateFile}"));
                Assert.That(hosted.Output, Does.Match(@"DHT node [0-9a-f]{40} stopped"));
                Assert.That(hosted.Output, Does.Not.Contain("fail:"));
                Assert.That(File.Exists(stateFile), Is.True);
            });
            Assert.That(bootstrap.GetRoutingTable(), Has.Count.EqualTo(1), "the sample's node joined the in-process one");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    [Platform("Linux,MacOsX")]
    public async Task HostedNodeStopsCleanlyOnSigterm()
    {
        string directory = Directory.CreateTempSubdirectory("mainline-dht-sample-").FullName;
        try
        {
            // The duration only bounds the test should the signal be lost.
            using SampleProcess hosted = SampleProcess.Start("HostedNodeDll",
                "--duration", "60",
                "--MainlineDht:BindAddress=127.0.0.15",
                "--Urls=http://127.0.0.15:0",
                "--MainlineDht:Port=0",
                $"--MainlineDht:StateFile={Path.Combine(directory, "dht-state.json")}");
            await hosted.WaitForOutputAsync("Application started", ProcessTimeout);

            hosted.Terminate();
            int exitCode = await hosted.WaitForExitAsync(TimeSpan.FromSeconds(20));

            Assert.That(exitCode, Is.Zero, hosted.Errors + hosted.Output);
            Assert.That(hosted.Output, Does.Contain("started on 127.0.0.15:"));
            Assert.That(hosted.Output, Does.Contain("Application is shutting down"));
            Assert.That(hosted.Output, Does.Match(@"DHT node [0-9a-f]{40} stopped"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

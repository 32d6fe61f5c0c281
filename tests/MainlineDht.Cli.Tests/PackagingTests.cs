using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// <c>dotnet pack</c> of the built solution makes the six packages the README names; the tool installs
/// from them and runs, and a fresh project that references the library, items, hosting and peer-wire packages
/// builds, starts a node, signs an item (libsodium's native library comes with NSec's package) and reads a
/// magnet link. Everything restores offline: our packages from a local folder, everything else from
/// the packages the solution already restored (a fallback folder), into a package cache of the test's own.
/// </summary>
[NonParallelizable]
public sealed class PackagingTests
{
    private static readonly string Root = typeof(PackagingTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    private string _work = null!;
    private string _packages = null!;

    [OneTimeSetUp]
    public async Task Pack()
    {
        _work = Directory.CreateTempSubdirectory("mainline-dht-pack-").FullName;
        _packages = Path.Combine(_work, "packages");
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(_work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_packages}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="restored" value="{globalPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        Run pack = await DotnetAsync(Root, "pack", Path.Combine(Root, "MainlineDht.sln"), "-c", "Release", "--no-build", "-o", _packages);
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_work, recursive: true);

    [Test]
    public void Pack_makes_exactly_the_library_items_hosting_simulation_peer_wire_and_tool_packages()
    {
        Assert.That(Directory.GetFiles(_packages, "*.nupkg").Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "MainlineDht.0.1.0.nupkg", "MainlineDht.Cli.0.1.0.nupkg", "MainlineDht.Hosting.0.1.0.nupkg", "MainlineDht.Items.0.1.0.nupkg", "MainlineDht.PeerWire.0.1.0.nupkg", "MainlineDht.Simulation.0.1.0.nupkg" }));

        using (ZipArchive library = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.0.1.0.nupkg")))
        {
            Assert.That(library.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/MainlineDht.dll").And.Contain("lib/net10.0/MainlineDht.xml").And.Contain("README.md"));
            Assert.That(DependencyVersions(library), Is.EqualTo(new[] { ("Microsoft.Extensions.Logging.Abstractions", "10.0.15") }),
                "the library depends on nothing beyond the BCL but ILogger's abstractions, of the target framework's line");
            IReadOnlyList<string> types = PublicTypes(library, "lib/net10.0/MainlineDht.dll");
            Assert.That(types, Does.Contain("MainlineDht.Transport.IDatagramTransport").And.Contain("MainlineDht.Transport.UdpTransport").And.Contain("MainlineDht.Transport.SendPolicy"));
            Assert.That(types.Where(t => t.Contains("InMemory", StringComparison.Ordinal) || t.Contains("Virtual", StringComparison.Ordinal)), Is.Empty, "the test doubles live in MainlineDht.Simulation");
            Assert.That(types, Does.Contain("MainlineDht.Items.IItemSignatureVerifier").And.Contain("MainlineDht.Items.ItemTarget").And.Contain("MainlineDht.Items.ItemSignature"));
            Assert.That(types.Where(t => t.Contains("SigningKey", StringComparison.Ordinal) || t.Contains("Ed25519", StringComparison.Ordinal)), Is.Empty, "ed25519 lives in MainlineDht.Items");
        }

        using (ZipArchive items = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.Items.0.1.0.nupkg")))
        {
            Assert.That(items.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/MainlineDht.Items.dll").And.Contain("lib/net10.0/MainlineDht.Items.xml").And.Contain("README.md"));
            Assert.That(Dependencies(items).Order(), Is.EqualTo(new[] { "MainlineDht", "NSec.Cryptography" }), "the items package adds NSec (libsodium) and nothing else");
            Assert.That(PublicTypes(items, "lib/net10.0/MainlineDht.Items.dll"), Does.Contain("MainlineDht.Items.SigningKey").And.Contain("MainlineDht.Items.Ed25519ItemSignatureVerifier"));
        }

        using (ZipArchive hosting = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.Hosting.0.1.0.nupkg")))
        {
            Assert.That(hosting.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/MainlineDht.Hosting.dll"));
            Assert.That(Dependencies(hosting), Does.Contain("MainlineDht").And.Contain("MainlineDht.Items"), "a hosted node serves BEP 44 mutable items");
            Assert.That(DependencyVersions(hosting).Where(d => d.Id.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)).ToList(),
                Is.Not.Empty.And.All.Matches<(string Id, string Version)>(d => d.Version == "10.0.15"),
                "Microsoft.Extensions.* of the .NET 10 line, the target framework's");
        }

        using (ZipArchive simulation = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.Simulation.0.1.0.nupkg")))
        {
            Assert.That(simulation.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/MainlineDht.Simulation.dll").And.Contain("lib/net10.0/MainlineDht.Simulation.xml"));
            Assert.That(Dependencies(simulation), Is.EqualTo(new[] { "MainlineDht" }), "the simulation depends on the library only");
            Assert.That(PublicTypes(simulation, "lib/net10.0/MainlineDht.Simulation.dll"), Does.Contain("MainlineDht.Simulation.VirtualTimeProvider")
                .And.Contain("MainlineDht.Simulation.InMemoryNetwork").And.Contain("MainlineDht.Simulation.InMemoryTransport").And.Contain("MainlineDht.Simulation.SimulatedNetwork"));
        }

        using (ZipArchive peerWire = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.PeerWire.0.1.0.nupkg")))
        {
            Assert.That(peerWire.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/MainlineDht.PeerWire.dll").And.Contain("lib/net10.0/MainlineDht.PeerWire.xml").And.Contain("README.md"));
            Assert.That(Dependencies(peerWire), Is.EqualTo(new[] { "MainlineDht" }), "the peer wire depends on the library only");
            Assert.That(PublicTypes(peerWire, "lib/net10.0/MainlineDht.PeerWire.dll"), Does.Contain("MainlineDht.PeerWire.Metadata.MetadataFetcher")
                .And.Contain("MainlineDht.PeerWire.Download.TorrentDownloader").And.Contain("MainlineDht.PeerWire.Torrent.TorrentInfo").And.Contain("MainlineDht.PeerWire.PeerProtocolException"));
        }

        using ZipArchive tool = ZipFile.OpenRead(Path.Combine(_packages, "MainlineDht.Cli.0.1.0.nupkg"));
        Assert.That(tool.Entries.Select(e => e.FullName), Does.Contain("tools/net10.0/any/mainline-dht.dll").And.Contain("tools/net10.0/any/DotnetToolSettings.xml")
            .And.Contain("tools/net10.0/any/MainlineDht.Items.dll").And.Contain("tools/net10.0/any/NSec.Cryptography.dll"));
        XDocument settings = XDocument.Load(tool.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
        Assert.That(settings.Descendants("Command").Single().Attribute("Name")!.Value, Is.EqualTo("mainline-dht"));
        Assert.That(tool.Entries.Select(e => e.FullName), Does.Contain("tools/net10.0/any/ScottPlot.dll").And.Contain("tools/net10.0/any/runtimes/linux-x64/native/libSkiaSharp.so"),
            "simulate --plot draws with ScottPlot, on SkiaSharp's native library");
    }

    [Test]
    public async Task The_tool_installs_from_the_package_and_runs()
    {
        string tools = Path.Combine(_work, "tools");
        Run install = await DotnetAsync(_work, "tool", "install", "MainlineDht.Cli", "--version", "0.1.0", "--tool-path", tools, "--configfile", Path.Combine(_work, "nuget.config"));
        Assert.That(install.ExitCode, Is.Zero, install.Output);

        Run help = await RunAsync(_work, Path.Combine(tools, "mainline-dht"), "--help");
        Assert.That(help.ExitCode, Is.Zero, help.Output);
        Assert.That(help.Output, Does.Contain("get-peers").And.Contain("announce").And.Contain("swarm").And.Contain("metadata"));

        // The installed tool finds SkiaSharp's native library: simulate --plot writes a PNG.
        string png = Path.Combine(_work, "plot.png");
        Run plot = await RunAsync(_work, Path.Combine(tools, "mainline-dht"), "simulate", "--nodes", "100", "--lookups", "10", "--plot", png);
        Assert.That(plot.ExitCode, Is.Zero, plot.Output);
        Assert.That(File.ReadAllBytes(png).Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
    }

    [Test]
    public async Task A_project_referencing_the_packages_builds_starts_a_node_runs_a_simulated_network_signs_an_item_and_reads_a_magnet_link()
    {
        string consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MainlineDht" Version="0.1.0" />
                <PackageReference Include="MainlineDht.Items" Version="0.1.0" />
                <PackageReference Include="MainlineDht.Hosting" Version="0.1.0" />
                <PackageReference Include="MainlineDht.Simulation" Version="0.1.0" />
                <PackageReference Include="MainlineDht.PeerWire" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using System.Net;
            using MainlineDht;
            using MainlineDht.Hosting;
            using MainlineDht.Items;
            using MainlineDht.Lookups;
            using MainlineDht.Protocol;
            using MainlineDht.PeerWire.Torrent;
            using MainlineDht.Simulation;
            using MainlineDht.Transport;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddMainlineDht(o => { o.BindAddress = "127.0.0.1"; o.Port = 0; });
            Console.WriteLine(services.Any(s => s.ServiceType == typeof(IDhtNodeAccessor)) ? "hosting registered" : "hosting missing");

            await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
            {
                BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                BootstrapNodes = [],
                UsePublicRouters = false,
                SendPolicy = SendPolicy.LoopbackOnly(),
            });
            Console.WriteLine($"node {node.Id} on {node.LocalEndPoint}");

            await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 7 });
            network.Populate(64);
            NodeId infoHash = NodeId.CreateRandom(network.Random);
            network.Run(network.Nodes[1].Node.AnnounceAsync(infoHash, 6000));
            PeerLookupResult found = network.Run(network.Nodes[2].Node.LookupPeersAsync(infoHash));
            Console.WriteLine($"simulated: {found.Peers.Count} peer found");

            var clock = new VirtualTimeProvider();
            var memory = new InMemoryNetwork(clock, new Random(1)) { Latency = (_, _) => TimeSpan.FromMilliseconds(20) };
            await using DhtNode a = memory.StartNode(new DhtNodeOptions { BindEndPoint = IPEndPoint.Parse("127.0.0.1:6881"), RandomSeed = 2 });
            await using DhtNode b = memory.StartNode(new DhtNodeOptions { BindEndPoint = IPEndPoint.Parse("127.0.0.2:6881"), RandomSeed = 3 });
            Task<MainlineDht.Rpc.RpcResult> pong = a.PingAsync(b.LocalEndPoint);
            clock.RunUntil(() => pong.IsCompleted, TimeSpan.FromMinutes(1));
            Console.WriteLine($"in memory: {pong.Result.Status} after {clock.Elapsed.TotalMilliseconds} ms");

            using SigningKey key = SigningKey.Generate();
            byte[] signature = key.SignItem("salt"u8, 1, "5:hello"u8);
            bool verified = ItemSignature.Verify(Ed25519ItemSignatureVerifier.Instance, key.PublicKey.Span, "salt"u8, 1, "5:hello"u8, signature);
            Console.WriteLine(verified ? "item signed and verified" : "item signature refused");

            MagnetLink magnet = MagnetLink.Parse("magnet:?xt=urn:btih:a14490fc0147e4777cf5b309cd8e46c97ae052b5&dn=small");
            Console.WriteLine($"magnet: {magnet.DisplayName} {magnet.InfoHash}");
            """);
        File.Copy(Path.Combine(_work, "nuget.config"), Path.Combine(consumer, "nuget.config"));

        Run run = await DotnetAsync(consumer, "run", "-c", "Release");
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        TestContext.Out.WriteLine(run.Output);
        Assert.That(run.Output, Does.Contain("hosting registered").And.Contain("simulated: 1 peer found").And.Contain("in memory: Response after 40 ms").And.Contain("item signed and verified")
            .And.Contain("magnet: small a14490fc0147e4777cf5b309cd8e46c97ae052b5").And.Match(@"node [0-9a-f]{40} on 127\.0\.0\.1:\d+"));
    }

    private static IReadOnlyList<string> Dependencies(ZipArchive package)
    {
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
    }

    private static IReadOnlyList<(string Id, string Version)> DependencyVersions(ZipArchive package)
    {
        ZipArchiveEntry nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (e.Attribute("id")!.Value, e.Attribute("version")!.Value)).ToList();
    }

    /// <summary>The public types of an assembly in a package, read from its metadata (nothing is loaded).</summary>
    private static IReadOnlyList<string> PublicTypes(ZipArchive package, string path)
    {
        using var image = new MemoryStream();
        using (Stream entry = package.GetEntry(path)!.Open())
        {
            entry.CopyTo(image);
        }

        image.Position = 0;
        using var pe = new PEReader(image);
        MetadataReader metadata = pe.GetMetadataReader();
        return metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
            .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
            .ToList();
    }

    private sealed record Run(int ExitCode, string Output);

    private Task<Run> DotnetAsync(string directory, params string[] args) => RunAsync(directory, "dotnet", args);

    private async Task<Run> RunAsync(string directory, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Our own package cache: a package from an earlier run with the same version must not be reused.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_work ?? Path.GetTempPath(), "cache");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await stdout + await stderr);
    }
}

using System.Net;
using MainlineDht.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MainlineDht.Hosting.Tests;

/// <summary>Options come from appsettings.json, environment variables and code, and reach the node unchanged.</summary>
public sealed class OptionsBindingTests
{
    private const string Prefix = "MDHT_HOSTING_TEST_";

    [Test]
    public void BindsEveryKeyFromJson()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.test.json"), optional: false)
            .Build();

        MainlineDhtOptions options = Resolve(configuration);

        Assert.Multiple(() =>
        {
            Assert.That(options.BindAddress, Is.EqualTo("127.0.0.3"));
            Assert.That(options.BindAddressV6, Is.EqualTo("::1"));
            Assert.That(options.Port, Is.Zero);
            Assert.That(options.BootstrapNodes, Is.EqualTo(new[] { "127.0.0.1:6881", "localhost:7000" }));
            Assert.That(options.UsePublicRouters, Is.False);
            Assert.That(options.LoopbackOnly, Is.True);
            Assert.That(options.StateFile, Is.EqualTo("state/dht.json"));
            Assert.That(options.NodeId, Is.EqualTo("0123456789abcdef0123456789abcdef01234567"));
            Assert.That(options.QueryTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(options.MaxOutstandingQueries, Is.EqualTo(100));
            Assert.That(options.QueriesPerSecondPerIp, Is.EqualTo(50));
            Assert.That(options.QueryBurstPerIp, Is.EqualTo(75));
            Assert.That(options.IpBanThreshold, Is.EqualTo(60));
            Assert.That(options.IpBanDuration, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(options.AmplificationLimit, Is.EqualTo(3));
            Assert.That(options.ReplyBytesPerSecond, Is.EqualTo(50_000));
            Assert.That(options.IpDiversity, Is.EqualTo(IpDiversity.All));
            Assert.That(options.EnforceNodeIds, Is.True);
            Assert.That(options.FirewalledAfter, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(options.ReadOnlyWhenFirewalled, Is.False);
            Assert.That(options.ReadOnly, Is.True);
            Assert.That(options.MaxPeersPerInfoHash, Is.EqualTo(20));
            Assert.That(options.MaxInfoHashes, Is.EqualTo(30));
            Assert.That(options.PeerLifetime, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(options.MaxItems, Is.EqualTo(40));
            Assert.That(options.ItemLifetime, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(options.JoinRetryDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(options.MaxJoinRetryDelay, Is.EqualTo(TimeSpan.FromSeconds(8)));
        });
    }

    [Test]
    public void TheNodeGetsTheBoundValues()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.test.json"), optional: false)
            .Build();
        var clock = new TestClock();

        DhtNodeOptions node = Resolve(configuration).ToNodeOptions(clock, null, null);

        Assert.Multiple(() =>
        {
            Assert.That(node.BindEndPoint, Is.EqualTo(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0)));
            Assert.That(node.BindEndPointV6, Is.EqualTo(new IPEndPoint(IPAddress.IPv6Loopback, 0)), "the same port on both families");
            Assert.That(node.BootstrapNodes, Is.EqualTo(new[] { "127.0.0.1:6881", "localhost:7000" }));
            Assert.That(node.NodeId, Is.EqualTo(NodeId.Parse("0123456789abcdef0123456789abcdef01234567")));
            Assert.That(node.UsePublicRouters, Is.False);
            Assert.That(node.SendPolicy.Allows(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881)), Is.False, "LoopbackOnly refuses other destinations");
            Assert.That(node.SendPolicy.Allows(new IPEndPoint(IPAddress.Loopback, 6881)), Is.True);
            Assert.That(node.StateFile, Is.EqualTo("state/dht.json"));
            Assert.That(node.QueryTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(node.MaxOutstandingQueries, Is.EqualTo(100));
            Assert.That(node.QueriesPerSecondPerIp, Is.EqualTo(50));
            Assert.That(node.QueryBurstPerIp, Is.EqualTo(75));
            Assert.That(node.IpBanThreshold, Is.EqualTo(60));
            Assert.That(node.IpBanDuration, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(node.AmplificationLimit, Is.EqualTo(3));
            Assert.That(node.ReplyBytesPerSecond, Is.EqualTo(50_000));
            Assert.That(node.IpDiversity, Is.EqualTo(IpDiversity.All));
            Assert.That(node.EnforceNodeIds, Is.True);
            Assert.That(node.FirewalledAfter, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(node.ReadOnlyWhenFirewalled, Is.False);
            Assert.That(node.ReadOnly, Is.True);
            Assert.That(node.MaxPeersPerInfoHash, Is.EqualTo(20));
            Assert.That(node.MaxInfoHashes, Is.EqualTo(30));
            Assert.That(node.PeerLifetime, Is.EqualTo(TimeSpan.FromMinutes(10)));
            Assert.That(node.MaxItems, Is.EqualTo(40));
            Assert.That(node.ItemLifetime, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(node.ItemSignatureVerifier, Is.SameAs(Items.Ed25519ItemSignatureVerifier.Instance), "a hosted node serves mutable items");
            Assert.That(node.TimeProvider, Is.SameAs(clock));
        });
    }

    [Test]
    public void BindsFromEnvironmentVariables()
    {
        var variables = new Dictionary<string, string>
        {
            [Prefix + "MainlineDht__BindAddress"] = "127.0.0.9",
            [Prefix + "MainlineDht__Port"] = "7001",
            [Prefix + "MainlineDht__BootstrapNodes__0"] = "127.0.0.1:6881",
            [Prefix + "MainlineDht__BootstrapNodes__1"] = "[::1]:6882",
            [Prefix + "MainlineDht__UsePublicRouters"] = "false",
            [Prefix + "MainlineDht__QueryTimeout"] = "00:00:03",
            [Prefix + "MainlineDht__QueriesPerSecondPerIp"] = "12.5",
            [Prefix + "MainlineDht__MaxPeersPerInfoHash"] = "7",
            [Prefix + "MainlineDht__StateFile"] = "/var/lib/dht/state.json",
        };

        MainlineDhtOptions options = WithEnvironment(variables, () =>
            Resolve(new ConfigurationBuilder().AddEnvironmentVariables(Prefix).Build()));

        Assert.Multiple(() =>
        {
            Assert.That(options.BindAddress, Is.EqualTo("127.0.0.9"));
            Assert.That(options.Port, Is.EqualTo(7001));
            Assert.That(options.BootstrapNodes, Is.EqualTo(new[] { "127.0.0.1:6881", "[::1]:6882" }));
            Assert.That(options.UsePublicRouters, Is.False);
            Assert.That(options.QueryTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(options.QueriesPerSecondPerIp, Is.EqualTo(12.5));
            Assert.That(options.MaxPeersPerInfoHash, Is.EqualTo(7));
            Assert.That(options.StateFile, Is.EqualTo("/var/lib/dht/state.json"));
        });
    }

    [Test]
    public void EnvironmentVariablesOverrideTheJsonFile()
    {
        var variables = new Dictionary<string, string>
        {
            [Prefix + "MainlineDht__Port"] = "7002",
            [Prefix + "MainlineDht__ReadOnly"] = "false",
        };

        MainlineDhtOptions options = WithEnvironment(variables, () => Resolve(new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.test.json"), optional: false)
            .AddEnvironmentVariables(Prefix)
            .Build()));

        Assert.Multiple(() =>
        {
            Assert.That(options.Port, Is.EqualTo(7002));
            Assert.That(options.ReadOnly, Is.False);
            Assert.That(options.BindAddress, Is.EqualTo("127.0.0.3"), "keys the environment does not set keep the file's value");
        });
    }

    [Test]
    public void DefaultsAreTheLibrarysDefaults()
    {
        DhtNodeOptions fromHosting = new MainlineDhtOptions().ToNodeOptions(TimeProvider.System, null, null);
        var library = new DhtNodeOptions();

        Assert.Multiple(() =>
        {
            Assert.That(fromHosting.BindEndPoint, Is.EqualTo(library.BindEndPoint));
            Assert.That(fromHosting.BindEndPointV6, Is.Null.And.EqualTo(library.BindEndPointV6), "IPv6 is off unless BindAddressV6 is set");
            Assert.That(fromHosting.BootstrapNodes, Is.Empty);
            Assert.That(fromHosting.UsePublicRouters, Is.EqualTo(library.UsePublicRouters));
            Assert.That(fromHosting.SendPolicy, Is.SameAs(library.SendPolicy));
            Assert.That(fromHosting.StateFile, Is.Null);
            Assert.That(fromHosting.NodeId, Is.Null);
            Assert.That(fromHosting.QueryTimeout, Is.EqualTo(library.QueryTimeout));
            Assert.That(fromHosting.MaxOutstandingQueries, Is.EqualTo(library.MaxOutstandingQueries));
            Assert.That(fromHosting.QueriesPerSecondPerIp, Is.EqualTo(library.QueriesPerSecondPerIp));
            Assert.That(fromHosting.QueryBurstPerIp, Is.EqualTo(library.QueryBurstPerIp));
            Assert.That(fromHosting.ReadOnly, Is.EqualTo(library.ReadOnly));
            Assert.That(fromHosting.MaxPeersPerInfoHash, Is.EqualTo(library.MaxPeersPerInfoHash));
            Assert.That(fromHosting.MaxInfoHashes, Is.EqualTo(library.MaxInfoHashes));
            Assert.That(fromHosting.PeerLifetime, Is.EqualTo(library.PeerLifetime));
            Assert.That(fromHosting.MaxItems, Is.EqualTo(library.MaxItems));
            Assert.That(fromHosting.ItemLifetime, Is.EqualTo(library.ItemLifetime));
        });
    }

    [Test]
    public void CodeConfigurationAppliesAndRegisteringTwiceRunsOneNode()
    {
        var services = new ServiceCollection();
        services.AddMainlineDht(o => o.Port = 1234);
        services.AddMainlineDht(o => o.BindAddress = "127.0.0.10");

        using ServiceProvider provider = services.BuildServiceProvider();
        MainlineDhtOptions options = provider.GetRequiredService<IOptions<MainlineDhtOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(options.Port, Is.EqualTo(1234));
            Assert.That(options.BindAddress, Is.EqualTo("127.0.0.10"));
            Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService)), Is.EqualTo(1));
            Assert.That(provider.GetRequiredService<IDhtNodeAccessor>(), Is.Not.Null);
        });
    }

    private static MainlineDhtOptions Resolve(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddMainlineDht(configuration.GetSection(MainlineDhtOptions.SectionName));
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<MainlineDhtOptions>>().Value;
    }

    private static T WithEnvironment<T>(Dictionary<string, string> variables, Func<T> action)
    {
        foreach ((string name, string value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            return action();
        }
        finally
        {
            foreach (string name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    private sealed class TestClock : TimeProvider;
}

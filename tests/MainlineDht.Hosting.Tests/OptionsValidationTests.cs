using MainlineDht.Hosting.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MainlineDht.Hosting.Tests;

/// <summary>Invalid options stop the host at start, before any socket is bound, with a message naming the option.</summary>
public sealed class OptionsValidationTests
{
    [TestCase("Port", "70000", "MainlineDhtOptions.Port")]
    [TestCase("Port", "-1", "MainlineDhtOptions.Port")]
    [TestCase("BindAddress", "not-an-address", "MainlineDhtOptions.BindAddress")]
    [TestCase("BindAddress", "", "MainlineDhtOptions.BindAddress must be an IP address")]
    [TestCase("BindAddressV6", "127.0.0.1", "MainlineDhtOptions.BindAddressV6 must be an IPv6 address")]
    [TestCase("BindAddressV6", "::ffff:127.0.0.1", "MainlineDhtOptions.BindAddressV6 must be an IPv6 address")]
    [TestCase("BindAddressV6", "not-an-address", "MainlineDhtOptions.BindAddressV6 must be an IPv6 address")]
    [TestCase("BootstrapNodes:0", "no-port-here", "MainlineDhtOptions.BootstrapNodes")]
    [TestCase("BootstrapNodes:0", "127.0.0.1:99999", "MainlineDhtOptions.BootstrapNodes")]
    [TestCase("NodeId", "xyz", "MainlineDhtOptions.NodeId")]
    [TestCase("QueryTimeout", "00:00:00", "MainlineDhtOptions.QueryTimeout")]
    [TestCase("PeerLifetime", "-00:00:01", "MainlineDhtOptions.PeerLifetime")]
    [TestCase("MaxOutstandingQueries", "0", "MainlineDhtOptions.MaxOutstandingQueries")]
    [TestCase("MaxOutstandingQueries", "40000", "MainlineDhtOptions.MaxOutstandingQueries")]
    [TestCase("QueriesPerSecondPerIp", "-1", "MainlineDhtOptions.QueriesPerSecondPerIp")]
    [TestCase("QueryBurstPerIp", "-5", "MainlineDhtOptions.QueryBurstPerIp")]
    [TestCase("AmplificationLimit", "101", "MainlineDhtOptions.AmplificationLimit")]
    [TestCase("ReplyBytesPerSecond", "-1", "MainlineDhtOptions.ReplyBytesPerSecond")]
    [TestCase("IpBanDuration", "2.00:00:00", "MainlineDhtOptions.IpBanThreshold")]
    [TestCase("FirewalledAfter", "00:00:00", "MainlineDhtOptions.FirewalledAfter")]
    [TestCase("MaxPeersPerInfoHash", "0", "MainlineDhtOptions.MaxPeersPerInfoHash")]
    [TestCase("MaxInfoHashes", "0", "MainlineDhtOptions.MaxInfoHashes")]
    [TestCase("MaxItems", "0", "MainlineDhtOptions.MaxItems")]
    [TestCase("ItemLifetime", "00:00:00", "MainlineDhtOptions.ItemLifetime")]
    [TestCase("JoinRetryDelay", "00:00:00", "MainlineDhtOptions.JoinRetryDelay")]
    [TestCase("MaxJoinRetryDelay", "00:00:01", "MainlineDhtOptions.MaxJoinRetryDelay must be from JoinRetryDelay")]
    [TestCase("MaxJoinRetryDelay", "2.00:00:00", "MainlineDhtOptions.MaxJoinRetryDelay must be from JoinRetryDelay")]
    public async Task AnInvalidOptionFailsTheStartNamingIt(string key, string value, string named)
    {
        using IHost host = Build(new Dictionary<string, string?> { ["MainlineDht:" + key] = value });

        OptionsValidationException? failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(failure!.Message, Does.Contain(named));
        Assert.That(failure.Failures, Has.Count.EqualTo(1), failure.Message);
        Assert.That(host.Services.GetRequiredService<IDhtNodeAccessor>().Node, Is.Null, "no node starts");
    }

    [Test]
    public async Task EveryInvalidOptionIsReportedAtOnce()
    {
        using IHost host = Build(new Dictionary<string, string?>
        {
            ["MainlineDht:Port"] = "70000",
            ["MainlineDht:QueryTimeout"] = "00:00:00",
            ["MainlineDht:MaxInfoHashes"] = "0",
        });

        OptionsValidationException? failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(failure!.Failures, Has.Count.EqualTo(3));
        Assert.That(failure.Message, Does.Contain("MainlineDhtOptions.Port must be from 0 to 65535 (it is 70000)"));
        Assert.That(failure.Message, Does.Contain("MainlineDhtOptions.QueryTimeout"));
        Assert.That(failure.Message, Does.Contain("MainlineDhtOptions.MaxInfoHashes"));
    }

    [Test]
    public async Task BesideBindAddressV6TheBindAddressMustBeIPv4()
    {
        using IHost host = Build(new Dictionary<string, string?>
        {
            ["MainlineDht:BindAddress"] = "::1",
            ["MainlineDht:BindAddressV6"] = "::1",
        });

        OptionsValidationException? failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(failure!.Failures, Has.Count.EqualTo(1), failure.Message);
        Assert.That(failure.Message, Does.Contain("MainlineDhtOptions.BindAddress must be an IPv4 address (or empty) when BindAddressV6 is set (it is '::1')"));
    }

    [Test]
    public async Task AValueOfTheWrongTypeFailsTheStartNamingItsKey()
    {
        using IHost host = Build(new Dictionary<string, string?> { ["MainlineDht:Port"] = "many" });

        InvalidOperationException? failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.That(failure!.Message, Does.Contain("MainlineDht:Port"));
    }

    [Test]
    public async Task CodeConfiguredOptionsAreValidatedToo()
    {
        using IHost host = TestHosts.Build(o =>
        {
            TestHosts.Loopback("127.0.0.1")(o);
            o.NodeId = "0123";
        });

        OptionsValidationException? failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(failure!.Message, Does.Contain("MainlineDhtOptions.NodeId must be 40 hex digits (it is '0123')"));
    }

    /// <summary>A host whose options are valid loopback settings overridden by <paramref name="overrides"/>.</summary>
    private static IHost Build(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["MainlineDht:BindAddress"] = "127.0.0.1",
            ["MainlineDht:Port"] = "0",
            ["MainlineDht:UsePublicRouters"] = "false",
            ["MainlineDht:LoopbackOnly"] = "true",
        };
        foreach ((string key, string? value) in overrides)
        {
            settings[key] = value;
        }

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMainlineDht(builder.Configuration.GetSection(MainlineDhtOptions.SectionName));
        return builder.Build();
    }
}

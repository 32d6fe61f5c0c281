using MainlineDht;
using MainlineDht.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the hosted DHT node's health check.</summary>
public static class MainlineDhtHealthChecksBuilderExtensions
{
    /// <summary>The health check's default name.</summary>
    public const string DefaultName = "mainline-dht";

    /// <summary>
    /// Adds a health check of the node <see cref="MainlineDhtServiceCollectionExtensions.AddMainlineDht(IServiceCollection, Action{MainlineDht.Hosting.MainlineDhtOptions})"/>
    /// runs, from its <see cref="DhtNode.Health"/>: <see cref="DhtHealth.Ready"/> is Healthy;
    /// <see cref="DhtHealth.Degraded"/> and <see cref="DhtHealth.Firewalled"/> are Degraded;
    /// <see cref="DhtHealth.Bootstrapping"/>, <see cref="DhtHealth.Stopped"/> and a node that is not
    /// running report <paramref name="failureStatus"/>. The result's description is the health and
    /// its reason; its data holds the figures (routing table size, live and good nodes, queries in
    /// flight, stored peers, …).
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name; default <see cref="DefaultName"/>.</param>
    /// <param name="failureStatus">What a node with no live node reports; default Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready" for a readiness probe).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddMainlineDht(this IHealthChecksBuilder builder, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.TryAddSingleton<DhtNodeAccessor>();
        return builder.Add(new HealthCheckRegistration(
            name,
            static provider => new DhtHealthCheck(provider.GetRequiredService<DhtNodeAccessor>()),
            failureStatus,
            tags));
    }
}

using MainlineDht.Hosting;
using MainlineDht.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a hosted BitTorrent Mainline DHT node.</summary>
public static class MainlineDhtServiceCollectionExtensions
{
    /// <summary>
    /// Adds a DHT node that starts with the host and stops with it, configured in code. The
    /// options are validated when the host starts; the node is reached through
    /// <see cref="IDhtNodeAccessor"/>. Calling this more than once configures the same node. The
    /// node logs through the host's <see cref="Microsoft.Extensions.Logging.ILoggerFactory"/> and
    /// creates its <c>MainlineDht</c> meter through the host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/>; <c>AddHealthChecks().AddMainlineDht()</c>
    /// adds its health check.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMainlineDht(this IServiceCollection services, Action<MainlineDhtOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services.AddMainlineDhtCore();
    }

    /// <summary>
    /// Adds a DHT node that starts with the host and stops with it, with options bound from
    /// <paramref name="section"/> (usually <c>configuration.GetSection("MainlineDht")</c>, see
    /// <see cref="MainlineDhtOptions.SectionName"/>). The options are validated when the host
    /// starts; the node is reached through <see cref="IDhtNodeAccessor"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The configuration section holding the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMainlineDht(this IServiceCollection services, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<MainlineDhtOptions>(section);
        return services.AddMainlineDhtCore();
    }

    private static IServiceCollection AddMainlineDhtCore(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<MainlineDhtOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MainlineDhtOptions>, MainlineDhtOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<DhtNodeAccessor>();
        services.TryAddSingleton<IDhtNodeAccessor>(static provider => provider.GetRequiredService<DhtNodeAccessor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DhtNodeHostedService>());
        return services;
    }
}

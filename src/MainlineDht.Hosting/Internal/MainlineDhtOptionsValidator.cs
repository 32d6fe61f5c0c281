using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using Microsoft.Extensions.Options;

namespace MainlineDht.Hosting.Internal;

/// <summary>
/// Checks <see cref="MainlineDhtOptions"/> when the host starts. Every failure names its option
/// (<c>MainlineDhtOptions.Port</c>, …) and says what is wrong, and all failures are reported at once.
/// </summary>
internal sealed class MainlineDhtOptionsValidator : IValidateOptions<MainlineDhtOptions>
{
    private const int MaxOutstandingQueriesLimit = 32_768;

    private static readonly TimeSpan MaxJoinRetryDelayLimit = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, MainlineDhtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        ValidateBindAddresses(failures, options);

        if (options.Port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            failures.Add(Message(nameof(options.Port), $"must be from 0 to 65535 (it is {options.Port})"));
        }

        if (options.BootstrapNodes is null)
        {
            failures.Add(Message(nameof(options.BootstrapNodes), "must not be null"));
        }
        else
        {
            foreach (string? node in options.BootstrapNodes)
            {
                if (!HostEndPoint.TryParse(node, out _))
                {
                    failures.Add(Message(nameof(options.BootstrapNodes), $"must hold host:port entries ('{node}' is not one)"));
                }
            }
        }

        if (!string.IsNullOrEmpty(options.NodeId) && !NodeId.TryParse(options.NodeId, out _))
        {
            failures.Add(Message(nameof(options.NodeId), $"must be 40 hex digits (it is '{options.NodeId}')"));
        }

        if (options.StateFile is { Length: > 0 } stateFile && stateFile.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add(Message(nameof(options.StateFile), "is not a valid path"));
        }

        Positive(failures, nameof(options.QueryTimeout), options.QueryTimeout);
        Positive(failures, nameof(options.PeerLifetime), options.PeerLifetime);
        Positive(failures, nameof(options.ItemLifetime), options.ItemLifetime);
        Positive(failures, nameof(options.JoinRetryDelay), options.JoinRetryDelay);
        Positive(failures, nameof(options.MaxJoinRetryDelay), options.MaxJoinRetryDelay);
        if (options.MaxJoinRetryDelay > TimeSpan.Zero && (options.MaxJoinRetryDelay < options.JoinRetryDelay || options.MaxJoinRetryDelay > MaxJoinRetryDelayLimit))
        {
            failures.Add(Message(nameof(options.MaxJoinRetryDelay), $"must be from JoinRetryDelay ({options.JoinRetryDelay.ToString("c", CultureInfo.InvariantCulture)}) to one day (it is {options.MaxJoinRetryDelay.ToString("c", CultureInfo.InvariantCulture)})"));
        }

        if (options.MaxOutstandingQueries is < 1 or > MaxOutstandingQueriesLimit)
        {
            failures.Add(Message(nameof(options.MaxOutstandingQueries), $"must be from 1 to {MaxOutstandingQueriesLimit} (it is {options.MaxOutstandingQueries})"));
        }

        NotNegative(failures, nameof(options.QueriesPerSecondPerIp), options.QueriesPerSecondPerIp);
        NotNegative(failures, nameof(options.QueryBurstPerIp), options.QueryBurstPerIp);
        AtLeastOne(failures, nameof(options.MaxPeersPerInfoHash), options.MaxPeersPerInfoHash);
        AtLeastOne(failures, nameof(options.MaxInfoHashes), options.MaxInfoHashes);
        AtLeastOne(failures, nameof(options.MaxItems), options.MaxItems);

        if (failures.Count == 0)
        {
            // The library has the last word: a rule it gains later still stops the host here, not at bind time.
            try
            {
                options.ToNodeOptions(TimeProvider.System, null, null).Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add(Message(e.ParamName ?? "?", e.Message));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// BEP 32: <see cref="MainlineDhtOptions.BindAddress"/> alone (either family), or with
    /// <see cref="MainlineDhtOptions.BindAddressV6"/> an IPv4 address (or empty: IPv6 alone) beside an IPv6 one.
    /// </summary>
    private static void ValidateBindAddresses(List<string> failures, MainlineDhtOptions options)
    {
        IPAddress? v6 = null;
        if (!string.IsNullOrEmpty(options.BindAddressV6))
        {
            if (!IPAddress.TryParse(options.BindAddressV6, out v6) || v6.AddressFamily != AddressFamily.InterNetworkV6 || v6.IsIPv4MappedToIPv6)
            {
                failures.Add(Message(nameof(options.BindAddressV6), $"must be an IPv6 address, or empty for none (it is '{options.BindAddressV6}')"));
                v6 = null;
            }
        }

        bool v6Given = !string.IsNullOrEmpty(options.BindAddressV6);
        if (string.IsNullOrEmpty(options.BindAddress) && v6Given)
        {
            return; // IPv6 alone
        }

        if (string.IsNullOrWhiteSpace(options.BindAddress) || !IPAddress.TryParse(options.BindAddress, out IPAddress? address))
        {
            failures.Add(Message(nameof(options.BindAddress), $"must be an IP address (it is '{options.BindAddress}')"));
        }
        else if (v6Given && address.AddressFamily != AddressFamily.InterNetwork)
        {
            failures.Add(Message(nameof(options.BindAddress), $"must be an IPv4 address (or empty) when BindAddressV6 is set (it is '{options.BindAddress}')"));
        }
    }

    private static void Positive(List<string> failures, string option, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add(Message(option, $"must be positive (it is {value.ToString("c", CultureInfo.InvariantCulture)})"));
        }
    }

    private static void NotNegative(List<string> failures, string option, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            failures.Add(Message(option, $"must be a finite number, 0 or more (it is {value.ToString(CultureInfo.InvariantCulture)})"));
        }
    }

    private static void AtLeastOne(List<string> failures, string option, int value)
    {
        if (value < 1)
        {
            failures.Add(Message(option, $"must be at least 1 (it is {value})"));
        }
    }

    private static string Message(string option, string problem) => $"{nameof(MainlineDhtOptions)}.{option} {problem}.";
}

using System.Diagnostics;
using System.Globalization;

namespace MainlineDht.Cli.Tests.Support;

/// <summary>What a run of the command gave: its exit code and everything it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>
    /// The last line of stdout as JSON: <c>node --json</c> prints one status object per line, the
    /// final one (at the stop) last.
    /// </summary>
    public System.Text.Json.JsonDocument LastJsonLine() => System.Text.Json.JsonDocument.Parse(Stdout.TrimEnd().Split('\n')[^1]);
}

/// <summary>Runs the built <c>mainline-dht</c> command (<c>dotnet mainline-dht.dll …</c>) as a separate process.</summary>
internal static class Tool
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "mainline-dht.dll");

    /// <summary>The commands that take <c>--no-public-routers</c>; every test run of them gets it.</summary>
    private static readonly string[] CommandsWithPublicRouters = ["node", "get-peers", "announce", "find-node", "metadata", "put", "get", "crawl", "scrape"];

    /// <summary>Starts the command with its output redirected; the caller reads it and ends the process.</summary>
    public static Process Start(params string[] args) => StartWithEnvironment(null, args);

    /// <summary>
    /// Starts the command with <paramref name="environment"/> added to the inherited environment
    /// (a null value removes the variable).
    /// </summary>
    public static Process StartWithEnvironment(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Network safety: a command that would fall back to the public routers once its bootstrap
        // nodes stay silent never may in a test.
        if (args.Length > 0 && CommandsWithPublicRouters.Contains(args[0]) && !args.Contains("--no-public-routers"))
        {
            start.ArgumentList.Add("--no-public-routers");
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs the command to its end (at most 90 seconds).</summary>
    public static Task<ToolRun> RunAsync(params string[] args) => RunWithEnvironmentAsync(null, args);

    /// <summary>Runs the command to its end (at most 90 seconds) with <paramref name="environment"/> (see <see cref="StartWithEnvironment"/>).</summary>
    public static async Task<ToolRun> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using Process process = StartWithEnvironment(environment, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>) to a process with kill(1), as a shell or a service manager would.</summary>
    public static async Task SignalAsync(Process process, string signal)
    {
        var start = new ProcessStartInfo("kill") { RedirectStandardError = true };
        start.ArgumentList.Add("-s");
        start.ArgumentList.Add(signal);
        start.ArgumentList.Add(process.Id.ToString(CultureInfo.InvariantCulture));
        using Process kill = Process.Start(start)!;
        string error = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -s {signal} {process.Id}: {error}");
    }
}

using System.Diagnostics;

namespace MainlineDht.Cli.Tests.Support;

/// <summary>What a run of the command gave: its exit code and everything it wrote.</summary>
internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built <c>mainline-dht</c> command (<c>dotnet mainline-dht.dll …</c>) as a separate process.</summary>
internal static class Tool
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "mainline-dht.dll");

    /// <summary>Starts the command with its output redirected; the caller reads it and ends the process.</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs the command to its end (at most 90 seconds).</summary>
    public static async Task<ToolRun> RunAsync(params string[] args)
    {
        using Process process = Start(args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }
}

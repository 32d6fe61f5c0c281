using System.Diagnostics;
using System.Reflection;

namespace MainlineDht.InteropTests.Support;

/// <summary>What a run of a built program gave: its exit code and everything it wrote.</summary>
public sealed record ProgramRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>Runs a built .NET program of this repository (<c>dotnet X.dll …</c>) as a child process, in this test's network namespace.</summary>
public static class DotnetProgram
{
    /// <summary>The path of a built program recorded at build time under <paramref name="key"/> (<c>CliDll</c>, <c>TrackerlessDownloadDll</c>).</summary>
    public static string Path(string key)
    {
        string path = typeof(DotnetProgram).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        Assert.That(File.Exists(path), Is.True, $"{key} is built at {path}");
        return path;
    }

    /// <summary>Runs it to its end; kills it (and fails) after <paramref name="timeout"/>.</summary>
    public static async Task<ProgramRun> RunAsync(string key, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path(key));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{key} {string.Join(' ', arguments)} did not exit within {timeout}.\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new ProgramRun(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}

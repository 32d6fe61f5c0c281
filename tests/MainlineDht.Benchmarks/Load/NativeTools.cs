using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MainlineDht.Benchmarks.Load;

/// <summary>What one generator run measured.</summary>
internal readonly record struct GeneratorResult(long Answered, long Lost, double PerSecond, double P50Micros, double P99Micros, long PingsAnswered);

/// <summary>
/// The benchmark's C programs (<c>generator.c</c>, <c>echo.c</c>, copied beside the benchmark),
/// compiled with gcc into a temporary directory at the start of a run.
/// </summary>
internal sealed class NativeTools : IAsyncDisposable
{
    private NativeTools(string directory) => Directory = directory;

    /// <summary>Where the compiled tools and the copied scripts are.</summary>
    public string Directory { get; }

    public static async Task<NativeTools> BuildAsync()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Load");
        string directory = Path.Combine(Path.GetTempPath(), $"dht-load-{Environment.ProcessId}");
        System.IO.Directory.CreateDirectory(directory);
        var tools = new NativeTools(directory);
        foreach (string name in new[] { "generator", "echo" })
        {
            (int exit, string output) = await ExternalProcess.RunAsync("gcc", ["-O2", "-o", Path.Combine(directory, name), Path.Combine(source, name + ".c")]).ConfigureAwait(false);
            if (exit != 0)
            {
                throw new InvalidOperationException($"gcc could not build {name}.c (the load benchmark needs gcc): {output}");
            }
        }

        File.Copy(Path.Combine(source, "libtorrent_load.py"), Path.Combine(directory, "libtorrent_load.py"), overwrite: true);
        return tools;
    }

    public Task<ExternalProcess> StartEchoAsync(string address, int port) =>
        ExternalProcess.StartAsync(Path.Combine(Directory, "echo"), [address, port.ToString(CultureInfo.InvariantCulture)], "ready");

    /// <summary>Runs the generator against <paramref name="target"/>: 1 s of warm-up, then <paramref name="seconds"/> measured.</summary>
    public async Task<GeneratorResult> GenerateAsync(IPEndPoint target, string kind, double seconds, int window, int sources, string firstSource, bool echo, bool answerPings = true)
    {
        string[] arguments =
        [
            target.Address.ToString(), target.Port.ToString(CultureInfo.InvariantCulture), kind, "1",
            seconds.ToString(CultureInfo.InvariantCulture), window.ToString(CultureInfo.InvariantCulture),
            sources.ToString(CultureInfo.InvariantCulture), firstSource, echo ? "1" : "0", answerPings ? "1" : "0",
        ];
        (int exit, string output) = await ExternalProcess.RunAsync(Path.Combine(Directory, "generator"), arguments).ConfigureAwait(false);
        string[] f = output.Trim().Split(' ');
        if (exit != 0 || f.Length != 8)
        {
            throw new InvalidOperationException($"the generator failed ({exit}): {output}");
        }

        return new GeneratorResult(
            long.Parse(f[0], CultureInfo.InvariantCulture),
            long.Parse(f[1], CultureInfo.InvariantCulture),
            double.Parse(f[4], CultureInfo.InvariantCulture),
            double.Parse(f[5], CultureInfo.InvariantCulture),
            double.Parse(f[6], CultureInfo.InvariantCulture),
            long.Parse(f[7], CultureInfo.InvariantCulture));
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A child process of the benchmark (the echo, libtorrent), ended when disposed.</summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ExternalProcess(Process process) => _process = process;

    /// <summary>Starts <paramref name="file"/> and waits for a stdout line starting with <paramref name="ready"/>.</summary>
    public static async Task<ExternalProcess> StartAsync(string file, string[] arguments, string ready)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is string line)
        {
            if (line.StartsWith(ready, StringComparison.Ordinal))
            {
                return new ExternalProcess(process);
            }
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        throw new InvalidOperationException($"{file} exited ({process.ExitCode}) before it was ready");
    }

    /// <summary>libtorrent on <paramref name="address"/>:<paramref name="port"/>, or null without Debian's python3-libtorrent.</summary>
    public static async Task<ExternalProcess?> StartLibtorrentAsync(string directory, string address, int port)
    {
        (int exit, _) = await RunAsync("/usr/bin/python3", ["-c", "import libtorrent"]).ConfigureAwait(false);
        return exit != 0
            ? null
            : await StartAsync("/usr/bin/python3", [Path.Combine(directory, "libtorrent_load.py"), address, port.ToString(CultureInfo.InvariantCulture)], "ready").ConfigureAwait(false);
    }

    /// <summary>Runs a program to its end; its exit code and its output (stdout and stderr).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close(); // libtorrent_load.py ends when its stdin closes
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(); // the echo never reads stdin: it is ended here
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }
}

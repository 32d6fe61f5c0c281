using System.Diagnostics;
using System.Text.RegularExpressions;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// Colour and live progress only on a terminal: in a file or a pipe the output is plain text, whatever
/// <c>TERM</c> says; on a terminal <c>NO_COLOR</c> removes the colour.
/// </summary>
[NonParallelizable]
public sealed partial class TerminalOutputTests
{
    /// <summary>An xterm that asks for colour; NO_COLOR unset, so only the redirection can turn colour off.</summary>
    private static readonly Dictionary<string, string?> Xterm = new() { ["TERM"] = "xterm-256color", ["NO_COLOR"] = null };

    [Test]
    public async Task Swarm_to_a_pipe_writes_no_escape_byte_even_for_an_xterm()
    {
        ToolRun run = await Tool.RunWithEnvironmentAsync(Xterm, "swarm", "--nodes", "4", "--bind", "127.0.26.1", "--port", "0");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout, Does.Contain("found 5 of 5"));
        Assert.That(run.Stdout, Does.Not.Contain('\u001b'));
        Assert.That(run.Stderr, Does.Not.Contain('\u001b'));
    }

    [Test]
    public async Task Simulate_to_a_pipe_writes_no_escape_byte_even_for_an_xterm()
    {
        ToolRun run = await Tool.RunWithEnvironmentAsync(Xterm, "simulate", "--nodes", "100", "--lookups", "10");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout, Does.Contain("success rate"));
        Assert.That(run.Stdout, Does.Not.Contain('\u001b'));
    }

    /// <summary>
    /// On a terminal (a pseudo-terminal from script(1)) the swarm shows colour and live progress;
    /// with NO_COLOR the progress stays (cursor movements) and every colour code goes.
    /// </summary>
    [Test]
    public async Task On_a_terminal_NO_COLOR_removes_the_colour_and_keeps_the_live_progress()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("script(1) is not installed: no pseudo-terminal to run the command on.");
        }

        string coloured = await OnTerminalAsync("127.0.26.11", noColor: false);
        string plain = await OnTerminalAsync("127.0.26.21", noColor: true);
        Assert.Multiple(() =>
        {
            Assert.That(ColourCode().IsMatch(coloured), Is.True, "without NO_COLOR a terminal gets colour");
            Assert.That(plain, Does.Contain("found 5 of 5"));
            Assert.That(ColourCode().Matches(plain).Select(m => m.Value), Is.Empty);
            Assert.That(plain, Does.Contain("\u001b[?25l"), "the live progress hides the cursor while it redraws");
        });
    }

    private static async Task<string> OnTerminalAsync(string bind, bool noColor)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "mainline-dht.dll");
        var start = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string arg in (string[])["-qec", $"dotnet '{dll}' swarm --nodes 4 --bind {bind} --port 0", "/dev/null"])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("NO_COLOR");
        if (noColor)
        {
            start.Environment["NO_COLOR"] = "1";
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.That(process.ExitCode, Is.Zero, await stderr + await stdout);
        return await stdout;
    }

    /// <summary>An SGR sequence that sets a colour: 30–37, 38;…, 40–47, 48;…, 90–97, 100–107.</summary>
    [GeneratedRegex(@"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")]
    private static partial Regex ColourCode();
}

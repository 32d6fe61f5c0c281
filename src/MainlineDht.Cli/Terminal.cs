using Spectre.Console;

namespace MainlineDht.Cli;

/// <summary>
/// What stdout can show: colour and live progress only on a terminal, and no colour when
/// <c>NO_COLOR</c> is set (any non-empty value, https://no-color.org). Spectre.Console decides
/// from <c>TERM</c> alone, so an <c>xterm</c> would get escape codes in a file or a pipe.
/// </summary>
internal static class Terminal
{
    /// <summary>True when stdout is a terminal: live progress may redraw it.</summary>
    public static bool IsInteractive => !Console.IsOutputRedirected;

    /// <summary>True when the user asked for no colour.</summary>
    public static bool NoColor => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>A console on stdout: plain text when redirected, no colour under <c>NO_COLOR</c>.</summary>
    public static IAnsiConsole CreateConsole()
    {
        bool terminal = IsInteractive;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            // On a terminal, NO_COLOR removes colour only: live progress still moves the cursor.
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal && !NoColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
    }
}

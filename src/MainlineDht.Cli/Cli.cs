namespace MainlineDht.Cli;

internal static class Cli
{
    /// <summary>
    /// Runs a command body: failures become one line on stderr and a non-zero exit code, never a
    /// stack trace. The body gets the run's <see cref="Warnings"/> (lines on stderr, kept for its JSON).
    /// </summary>
    public static async Task<int> RunAsync(Func<Warnings, Task<int>> body)
    {
        try
        {
            return await body(new Warnings(Console.Error)).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("error: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }
}

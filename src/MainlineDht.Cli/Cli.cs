namespace MainlineDht.Cli;

internal static class Cli
{
    /// <summary>Runs a command body: failures become one line on stderr and a non-zero exit code, never a stack trace.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
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

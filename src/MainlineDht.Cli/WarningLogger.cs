using Microsoft.Extensions.Logging;

namespace MainlineDht.Cli;

/// <summary>
/// The node's logger in the command-line tool: what the node logs at Warning and above goes to the
/// run's <see cref="Warnings"/> (one <c>warning: …</c> line on stderr, and the JSON <c>warnings</c>
/// array), the message as the node formatted it; lower levels are off (and cost the node nothing).
/// </summary>
internal sealed class WarningLogger(Warnings warnings) : ILoggerFactory, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("The command-line tool's logger prints warnings only; it takes no providers.");

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Warning and < LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            warnings.Report(formatter(state, exception));
        }
    }

    public void Dispose()
    {
        // Nothing to release: the warnings belong to the command run.
    }
}

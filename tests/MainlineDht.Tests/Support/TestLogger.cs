using Microsoft.Extensions.Logging;

namespace MainlineDht.Tests.Support;

/// <summary>One event a <see cref="TestLogger"/> recorded.</summary>
internal sealed record LogEntry(LogLevel Level, int EventId, string EventName, string Message, Exception? Exception, IReadOnlyList<KeyValuePair<string, object?>> State);

/// <summary>
/// A logger factory and logger in one, for <see cref="DhtNodeOptions.LoggerFactory"/>: records every
/// event at <see cref="MinimumLevel"/> and above (thread-safe), and hands each Warning or worse to
/// <c>onWarning</c> as its message, as the node's old warning callback did.
/// </summary>
internal sealed class TestLogger(Action<string>? onWarning = null, LogLevel minimumLevel = LogLevel.Trace) : ILoggerFactory, ILogger
{
    private readonly Lock _gate = new();
    private readonly List<LogEntry> _entries = [];

    public LogLevel MinimumLevel => minimumLevel;

    /// <summary>The categories loggers were created for.</summary>
    public List<string> Categories { get; } = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public IEnumerable<LogEntry> WithId(int eventId) => Entries.Where(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName)
    {
        lock (_gate)
        {
            Categories.Add(categoryName);
        }

        return this;
    }

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string message = formatter(state, exception);
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        lock (_gate)
        {
            _entries.Add(new LogEntry(logLevel, eventId.Id, eventId.Name ?? string.Empty, message, exception, [.. values]));
        }

        if (logLevel >= LogLevel.Warning)
        {
            onWarning?.Invoke(message);
        }
    }

    public void Dispose()
    {
    }
}

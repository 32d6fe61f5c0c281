using Microsoft.Extensions.Logging;

namespace MainlineDht.Diagnostics;

/// <summary>
/// The node's logger around the one its <see cref="DhtNodeOptions.LoggerFactory"/> made: a logger
/// that throws must not stop the node (it may be called on a receive loop, which nothing may
/// escape), so its failure is counted as an internal error (<see cref="DhtNodeStatistics.InternalErrors"/>) instead.
/// </summary>
internal sealed class GuardedLogger(ILogger inner) : ILogger
{
    private long _faults;

    /// <summary>How many times the inner logger threw.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return inner.IsEnabled(logLevel);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _faults);
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _faults);
        }
    }
}

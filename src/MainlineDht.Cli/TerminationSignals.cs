using System.Runtime.InteropServices;

namespace MainlineDht.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM: the first one cancels <see cref="Token"/> and keeps the process
/// alive, so that a command stops gracefully (a node saves its state and prints a final status);
/// a second one is left to the runtime's default action, which ends the process at once.
/// </summary>
/// <remarks>
/// System.CommandLine's own handling is turned off (<c>ProcessTerminationTimeout = null</c>): it
/// forces the exit after 2 seconds with the signal's exit code, and cancels on the signal thread,
/// where the whole stop would then run and a second signal could not be seen.
/// </remarks>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public TerminationSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        // The source is not disposed: it holds no timer, and a cancel queued by a late signal may still run.
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
        {
            return; // the second signal: the default action ends the process
        }

        context.Cancel = true;

        // The stop runs on the thread pool, not on the signal thread, which must stay free for a second signal.
        ThreadPool.QueueUserWorkItem(static source => source.Cancel(), _source, preferLocal: false);
    }
}

namespace MainlineDht.Cli;

/// <summary>
/// The warnings of one command run: each is printed at once as one line on stderr
/// (<c>warning: …</c>) and kept for the command's JSON document. The node calls
/// <see cref="Report"/> from any thread (through <see cref="WarningLogger"/>), so both happen under a lock.
/// </summary>
internal sealed class Warnings
{
    /// <summary>The most warnings kept for the JSON document; later ones are still printed.</summary>
    private const int MaxKept = 100;

    private readonly Lock _gate = new();
    private readonly List<string> _kept = [];
    private readonly TextWriter _error;

    public Warnings(TextWriter error) => _error = error;

    /// <summary>Prints one warning line and keeps the message.</summary>
    public void Report(string message)
    {
        // One line, whatever the message holds: a script reads stderr line by line.
        string line = message.ReplaceLineEndings(" ");
        lock (_gate)
        {
            if (_kept.Count < MaxKept)
            {
                _kept.Add(line);
            }

            _error.WriteLine($"warning: {line}");
            _error.Flush();
        }
    }

    /// <summary>Whether <paramref name="message"/> was reported (to print a status on stdout only once).</summary>
    public bool Contains(string message)
    {
        string line = message.ReplaceLineEndings(" ");
        lock (_gate)
        {
            return _kept.Contains(line);
        }
    }

    /// <summary>The warnings so far, for a JSON <c>warnings</c> array.</summary>
    public string[] ToArray()
    {
        lock (_gate)
        {
            return [.. _kept];
        }
    }
}

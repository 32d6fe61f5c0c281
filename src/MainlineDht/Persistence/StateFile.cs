using System.Globalization;
using MainlineDht.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MainlineDht.Persistence;

/// <summary>
/// The node's state file: read once at start, written every few minutes and at stop. A file that
/// is not a valid state of ours is moved aside (never lost, never overwritten) and the node starts
/// fresh; a file that cannot be read at all is left alone and never written over.
/// </summary>
internal sealed class StateFile
{
    private readonly string _path;
    private readonly ILogger _logger;
    private bool _writable = true;

    public StateFile(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
    }

    /// <summary>What <see cref="Load"/> found; null before it ran.</summary>
    public StateLoadStatus? Status { get; private set; }

    /// <summary>Reads the file, if any; sets <see cref="Status"/> and warns when the file was bad.</summary>
    public DhtNodeState? Load(DateTimeOffset now)
    {
        if (!File.Exists(_path))
        {
            Status = new StateLoadStatus.NoFile(_path);
            return null;
        }

        try
        {
            if (DhtNodeState.TryLoad(_path, out DhtNodeState? state, out string? problem))
            {
                Status = new StateLoadStatus.Loaded(_path, state!.Nodes.Count, state.Nodes6.Count);
                return state;
            }

            string movedTo = SetAside(_path, now);
            Status = new StateLoadStatus.SetAside(_path, movedTo, problem!);
            Log.StateFileSetAside(_logger, _path, problem!, movedTo);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _writable = false;
            Status = new StateLoadStatus.Unreadable(_path, e.Message);
            Log.StateFileUnreadable(_logger, _path, e.Message);
        }

        return null;
    }

    /// <summary>Writes <paramref name="state"/>; false (with a warning logged) when it could not be written or must not be.</summary>
    public bool TrySave(DhtNodeState state)
    {
        if (!_writable)
        {
            return false;
        }

        try
        {
            state.Save(_path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StateSaveFailed(_logger, e, _path, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Moves a bad state file aside (to <c>NAME.bad-YYYYMMDDHHMMSS</c>) so that it is kept for
    /// inspection and never overwritten; returns the new path.
    /// </summary>
    internal static string SetAside(string path, DateTimeOffset now)
    {
        string target = string.Create(CultureInfo.InvariantCulture, $"{path}.bad-{now.UtcDateTime:yyyyMMddHHmmss}");
        for (int i = 1; File.Exists(target); i++)
        {
            target = string.Create(CultureInfo.InvariantCulture, $"{path}.bad-{now.UtcDateTime:yyyyMMddHHmmss}-{i}");
        }

        File.Move(path, target);
        return target;
    }
}

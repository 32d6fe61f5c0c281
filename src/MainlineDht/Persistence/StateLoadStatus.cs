using System.Globalization;

namespace MainlineDht;

/// <summary>
/// What became of <see cref="DhtNodeOptions.StateFile"/> when the node started (see
/// <see cref="DhtNode.StateLoadStatus"/>): one of <see cref="NoFile"/>, <see cref="Loaded"/>,
/// <see cref="SetAside"/> or <see cref="Unreadable"/>. <see cref="Message"/> says it in one line.
/// </summary>
/// <remarks>A public type of the node's surface, so it lives in the root namespace like <see cref="DhtNodeState"/>.</remarks>
public abstract record StateLoadStatus
{
    private protected StateLoadStatus(string path) => Path = path;

    /// <summary>The state file.</summary>
    public string Path { get; }

    /// <summary>What happened, in one line.</summary>
    public abstract string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;

    /// <summary>There was no file yet: the node started fresh (and writes one).</summary>
    /// <param name="Path">The state file.</param>
    public sealed record NoFile(string Path) : StateLoadStatus(Path)
    {
        /// <inheritdoc/>
        public override string Message => $"no state file at {Path} yet: starting fresh";
    }

    /// <summary>The node id and the saved nodes were read.</summary>
    /// <param name="Path">The state file.</param>
    /// <param name="Nodes">IPv4 nodes read.</param>
    /// <param name="Nodes6">IPv6 nodes read.</param>
    public sealed record Loaded(string Path, int Nodes, int Nodes6) : StateLoadStatus(Path)
    {
        /// <inheritdoc/>
        public override string Message => Nodes6 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"loaded {Nodes} nodes from {Path}")
            : string.Create(CultureInfo.InvariantCulture, $"loaded {Nodes + Nodes6} nodes from {Path} ({Nodes6} of them IPv6)");
    }

    /// <summary>The file was not a valid state of ours: it was moved aside (kept, never overwritten) and the node started fresh.</summary>
    /// <param name="Path">The state file.</param>
    /// <param name="MovedTo">Where the bad file is now.</param>
    /// <param name="Reason">What was wrong with it.</param>
    public sealed record SetAside(string Path, string MovedTo, string Reason) : StateLoadStatus(Path)
    {
        /// <inheritdoc/>
        public override string Message => $"state file {Path} is invalid ({Reason}); moved it to {MovedTo} and started fresh";
    }

    /// <summary>The file could not be read at all: it is left untouched and the node does not write it.</summary>
    /// <param name="Path">The state file.</param>
    /// <param name="Reason">The error.</param>
    public sealed record Unreadable(string Path, string Reason) : StateLoadStatus(Path)
    {
        /// <inheritdoc/>
        public override string Message => $"cannot read state file {Path} ({Reason}); it is left untouched and will not be written";
    }
}

namespace MainlineDht.PeerWire.Torrent;

/// <summary>
/// One file of a torrent: where its bytes lie in the torrent's data (the concatenation of every
/// file, pad files included, that the pieces cover) and where it goes under the output folder.
/// </summary>
/// <param name="PathComponents">The path inside the torrent, one checked component each (no <c>..</c>, no separator, never empty).</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="Offset">Where it starts in the torrent's data.</param>
/// <param name="IsPadding">A BEP 47 pad file (<c>attr</c> contains <c>p</c>): it fills piece space with zeros and is never written.</param>
public sealed record TorrentFile(IReadOnlyList<string> PathComponents, long Length, long Offset, bool IsPadding)
{
    /// <summary>The path inside the torrent with <c>/</c> between components (for display and JSON).</summary>
    public string Path => string.Join('/', PathComponents);
}

/// <summary>A torrent's info dictionary could not be used: what is wrong with it.</summary>
public sealed class InvalidTorrentException : FormatException
{
    /// <summary>Creates the exception with what is wrong.</summary>
    public InvalidTorrentException(string message)
        : base(message)
    {
    }
}

using System.Net;
using System.Text.Json.Nodes;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>libtorrent's torrent commands: seeding a folder (announced to the DHT) and downloading from one peer.</summary>
public sealed partial class RealDhtClient
{
    /// <summary>
    /// <c>seed</c> (libtorrent only): makes a torrent of <paramref name="folder"/> with libtorrent's
    /// defaults (a v1+v2 hybrid with BEP 47 pad files), writes it to <paramref name="torrentFile"/>,
    /// seeds it with no tracker and waits for its DHT announce.
    /// </summary>
    public async Task<SeedResult> SeedAsync(string folder, string torrentFile, TimeSpan timeout)
    {
        RequireLibtorrent();
        var command = new JsonObject { ["cmd"] = "seed", ["path"] = folder, ["torrent_file"] = torrentFile, ["timeout"] = timeout.TotalSeconds };
        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(30));
        return new SeedResult(
            (bool?)reply["ok"] ?? false,
            NodeId.Parse((string)reply["info_hash"]!),
            (string)reply["name"]!,
            (string)reply["magnet"]!,
            (int)reply["piece_length"]!,
            (int)reply["num_pieces"]!,
            (long)reply["total_size"]!,
            (int)reply["metadata_size"]!,
            (int?)reply["sent_to"] ?? 0,
            (string?)reply["error"]);
    }

    /// <summary>
    /// <c>download</c> (libtorrent only): downloads the torrent of <paramref name="torrentFile"/>
    /// into <paramref name="savePath"/> from <paramref name="peer"/> alone (no DHT); how long it
    /// took from adding the torrent to its last piece.
    /// </summary>
    public async Task<TimeSpan> DownloadAsync(string torrentFile, string savePath, IPEndPoint peer, TimeSpan timeout)
    {
        RequireLibtorrent();
        var command = new JsonObject
        {
            ["cmd"] = "download", ["torrent_file"] = torrentFile, ["save_path"] = savePath, ["peer"] = peer.ToString(), ["timeout"] = timeout.TotalSeconds,
        };
        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        ThrowIfFailed(command, reply);
        return TimeSpan.FromSeconds((double)reply["elapsed"]!);
    }

    private void RequireLibtorrent()
    {
        if (Kind != DhtClientKind.Libtorrent)
        {
            throw new NotSupportedException("bittorrent-dht has no peer wire.");
        }
    }
}

/// <summary>What libtorrent's <c>seed</c> command reported.</summary>
/// <param name="Ok">True when its DHT announce reached a node.</param>
/// <param name="InfoHash">The v1 infohash (what the DHT and BEP 9 use).</param>
/// <param name="Name">The torrent's name (the folder's).</param>
/// <param name="Magnet">A magnet link with the v1 infohash and the name, no tracker.</param>
/// <param name="PieceLength">The piece length libtorrent chose.</param>
/// <param name="Pieces">How many pieces.</param>
/// <param name="TotalSize">The data the pieces cover, pad files included.</param>
/// <param name="MetadataSize">The bencoded info dictionary's size.</param>
/// <param name="SentTo">How many nodes took its announce.</param>
/// <param name="Error">Why the announce failed, when it did.</param>
public sealed record SeedResult(bool Ok, NodeId InfoHash, string Name, string Magnet, int PieceLength, int Pieces, long TotalSize, int MetadataSize, int SentTo, string? Error);

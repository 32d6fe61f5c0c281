using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MainlineDht.PeerWire;
using MainlineDht.PeerWire.Metadata;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.Protocol;

namespace MainlineDht.Cli;

/// <summary>
/// <c>metadata</c>: from an infohash or a magnet link to the torrent's info dictionary — peers
/// from a DHT lookup, the metadata from them over BEP 9. One-shot, like the lookups (read-only
/// unless --full-node); it writes a file only when --output is given.
/// </summary>
internal static class MetadataCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("infohash") { Description = "The infohash (40 hex digits) or a magnet link." };
        var output = new Option<string?>("--output") { Description = "Also save the metadata as a .torrent file (no tracker) at this path." };
        var peerTimeout = new Option<double>("--peer-timeout") { Description = "Seconds one peer may take to give the metadata.", DefaultValueFactory = _ => 10 };
        var command = new Command("metadata", "Find peers for an infohash through the DHT and fetch the torrent's metadata from them (BEP 9); prints its name, size and files. Exit 0 when fetched, 1 when no peer gave it.") { target };
        common.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(peerTimeout);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId infoHash = Targets.ParseInfoHash(parse.GetValue(target)!);
            bool json = parse.GetValue(common.Json);
            string? file = parse.GetValue(output);
            double perPeer = parse.GetValue(peerTimeout);
            if (!(perPeer > 0))
            {
                throw new CliException($"--peer-timeout: {perPeer.ToString(CultureInfo.InvariantCulture)} must be a positive number of seconds.");
            }

            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            DhtNodeOptions nodeOptions = common.ToNodeOptions(parse, warnings);
            IPAddress[] binds = [.. new[] { nodeOptions.BindEndPoint, nodeOptions.BindEndPointV6 }.OfType<IPEndPoint>().Select(e => e.Address)];
            TimeSpan total = TimeSpan.FromSeconds(parse.GetValue(common.Timeout));
            TimeSpan peerLimit = TimeSpan.FromSeconds(Math.Min(perPeer, total.TotalSeconds / 2));
            var options = new MetadataFetchOptions
            {
                PeerTimeout = peerLimit,
                // Connections leave from the one address bound; with two (one per family, for peers of
                // either family) the system picks the source of each connection's family.
                BindAddress = binds is [IPAddress only] && !only.Equals(IPAddress.Any) && !only.Equals(IPAddress.IPv6Any) ? only : null,
                LoopbackOnly = binds.All(IPAddress.IsLoopback),
            };

            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);

            // Peers are taken from the lookup until there is just time left for the last one
            // asked to answer; the fetch itself stops only on Ctrl-C, so every peer gets a report.
            using var lookupDeadline = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            TimeSpan remaining = total - peerLimit;
            lookupDeadline.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            MetadataFetchResult result = await MetadataFetcher.FetchMetadataAsync(
                infoHash, Until(node.GetPeersAsync(infoHash, lookupDeadline.Token), lookupDeadline.Token), options, cancellationToken).ConfigureAwait(false);

            if (result.Succeeded && file is not null)
            {
                Save(file, result.Info.ToTorrentFile());
            }

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(ToJson(result, warnings), Json));
            }
            else
            {
                Print(result, file);
            }

            return result.Succeeded ? 0 : 1;
        }));
        return command;
    }

    private static Dictionary<string, object?> ToJson(MetadataFetchResult result, Warnings warnings)
    {
        TorrentInfo? info = result.Info;
        return new Dictionary<string, object?>
        {
            ["infohash"] = result.InfoHash.ToString(),
            ["name"] = info?.Name,
            ["length"] = info?.FilesLength,
            ["piece_length"] = info?.PieceLength,
            ["pieces"] = info?.PieceCount,
            ["files"] = info is null ? Array.Empty<object>() : Files(info).Select(f => new Dictionary<string, object> { ["path"] = f.Path, ["length"] = f.Length }).ToArray(),
            ["peer"] = result.Peer?.ToString(),
            ["peers"] = result.Peers.Select(p => new Dictionary<string, object?>
            {
                ["endpoint"] = p.EndPoint.ToString(),
                ["outcome"] = Snake(p.Outcome.ToString()),
                ["error"] = p.Error is null ? null : Snake(p.Error.Value.ToString()),
                ["message"] = p.Message,
                ["client"] = p.Client,
                ["elapsed_ms"] = Math.Round(p.Elapsed.TotalMilliseconds, 1),
            }).ToArray(),
            ["elapsed_ms"] = Math.Round(result.Elapsed.TotalMilliseconds, 1),
            ["warnings"] = warnings.ToArray(),
        };
    }

    private static void Print(MetadataFetchResult result, string? file)
    {
        if (!result.Succeeded)
        {
            Console.Error.WriteLine(result.Peers.Count == 0
                ? $"error: no peer found for {result.InfoHash}"
                : $"error: no peer gave the metadata of {result.InfoHash} ({result.Peers.Count} tried)");
            foreach (PeerMetadataReport peer in result.Peers)
            {
                Console.Error.WriteLine($"  {peer.EndPoint}: {peer.Message}");
            }

            return;
        }

        TorrentInfo info = result.Info;
        List<TorrentFile> files = Files(info);
        Console.WriteLine($"name:   {info.Name}");
        Console.WriteLine($"size:   {info.FilesLength.ToString("N0", CultureInfo.InvariantCulture)} bytes in {files.Count} file{(files.Count == 1 ? "" : "s")}");
        Console.WriteLine($"pieces: {info.PieceCount} of {info.PieceLength.ToString("N0", CultureInfo.InvariantCulture)} bytes{(info.IsHybrid ? " (a v1+v2 hybrid)" : "")}");
        Console.WriteLine($"peer:   {result.Peer} ({Targets.Milliseconds(result.Elapsed)} ms)");
        if (file is not null)
        {
            Console.WriteLine($"saved:  {file}");
        }

        foreach (TorrentFile f in files)
        {
            Console.WriteLine($"  {f.Length.ToString(CultureInfo.InvariantCulture),14}  {f.Path}");
        }
    }

    /// <summary>The files a user gets: pad files left out; a single-file torrent's one file is its name.</summary>
    private static List<TorrentFile> Files(TorrentInfo info) => info.Files.Where(f => !f.IsPadding).ToList();

    /// <summary>Writes the file atomically: a temporary file beside it, then a rename.</summary>
    private static void Save(string path, byte[] content)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The peers of <paramref name="source"/> until <paramref name="deadline"/>, then the end (not an exception).</summary>
    private static async IAsyncEnumerable<IPEndPoint> Until(IAsyncEnumerable<IPEndPoint> source, [EnumeratorCancellation] CancellationToken deadline = default)
    {
        IAsyncEnumerator<IPEndPoint> peers = source.GetAsyncEnumerator(deadline);
        await using ConfiguredAsyncDisposable disposing = peers.ConfigureAwait(false);
        while (true)
        {
            try
            {
                if (!await peers.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                yield break; // the lookup's time is up: the peers found so far are all there is
            }

            yield return peers.Current;
        }
    }

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

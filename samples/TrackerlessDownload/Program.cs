// Downloads a torrent given only its magnet link, with no tracker: join the DHT, find peers for
// the infohash, fetch the torrent's metadata from them (BEP 9), then download every file, each
// piece checked against its SHA-1 before it is written.
// usage: TrackerlessDownload --bootstrap host:port [--bootstrap host:port ...] [--bind IP] [--output DIR] <magnet-link>
using System.Globalization;
using System.Net;
using MainlineDht;
using MainlineDht.Lookups;
using MainlineDht.PeerWire.Download;
using MainlineDht.PeerWire.Metadata;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.Transport;

var bootstrap = new List<string>();
IPAddress bind = IPAddress.Loopback;
string output = ".";
string? link = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--bootstrap" && i + 1 < args.Length) bootstrap.Add(args[++i]);
    else if (args[i] == "--bind" && i + 1 < args.Length) bind = IPAddress.Parse(args[++i]);
    else if (args[i] == "--output" && i + 1 < args.Length) output = args[++i];
    else link = args[i];
}

if (bootstrap.Count == 0 || !MagnetLink.TryParse(link, out MagnetLink? magnet))
{
    Console.Error.WriteLine("usage: TrackerlessDownload --bootstrap host:port [--bind IP] [--output DIR] <magnet-link>");
    return 2;
}

// On a loopback address (the default) the node and the peer connections stay on loopback.
bool loopback = IPAddress.IsLoopback(bind);
await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
{
    BindEndPoint = new IPEndPoint(bind, 0),
    BootstrapNodes = bootstrap,
    UsePublicRouters = false,
    ReadOnly = true, // a short-lived node: others should not list it in their routing tables
    SendPolicy = loopback ? SendPolicy.LoopbackOnly() : SendPolicy.AllowAll,
});
await node.JoinAsync();

// 1. Peers, from the DHT.
PeerLookupResult lookup = await node.LookupPeersAsync(magnet.InfoHash);
Console.WriteLine($"{lookup.Peers.Count} peers for {magnet.InfoHash}");
if (lookup.Peers.Count == 0)
{
    return 1;
}

// 2. The metadata (name, files, piece hashes), from the first peer whose copy hashes to the infohash.
IPAddress? local = bind.Equals(IPAddress.Any) ? null : bind;
MetadataFetchResult metadata = await MetadataFetcher.FetchMetadataAsync(magnet.InfoHash, lookup.Peers, new MetadataFetchOptions { BindAddress = local, LoopbackOnly = loopback });
if (!metadata.Succeeded)
{
    foreach (PeerMetadataReport peer in metadata.Peers)
    {
        Console.Error.WriteLine($"{peer.EndPoint}: {peer.Message}");
    }

    return 1;
}

TorrentInfo info = metadata.Info;
Console.WriteLine($"{info.Name}: {info.Files.Count(f => !f.IsPadding)} files, {MiB(info.FilesLength)} MiB, metadata from {metadata.Peer}");

// 3. The files, from every peer the DHT gave.
var downloader = new TorrentDownloader(info, output, new TorrentDownloaderOptions { BindAddress = local, LoopbackOnly = loopback });
var bar = new ProgressBar();
downloader.ProgressChanged += (_, progress) => bar.Show(progress);
DownloadResult result = await downloader.DownloadAsync(lookup.Peers);
bar.Done();
if (!result.Completed)
{
    Console.Error.WriteLine($"incomplete: {result.PiecesVerified} of {result.PieceCount} pieces");
    foreach (PeerDownloadReport peer in result.Peers)
    {
        Console.Error.WriteLine($"{peer.EndPoint}: {peer.Message}");
    }

    return 1;
}

double seconds = result.Elapsed.TotalSeconds;
Console.WriteLine($"downloaded {info.TotalLength} bytes in {seconds.ToString("F2", CultureInfo.InvariantCulture)} s ({MiB(info.TotalLength / seconds)} MiB/s)");
foreach (string file in result.Files)
{
    Console.WriteLine(file);
}

return 0;

static string MiB(double bytes) => (bytes / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture);

/// <summary>A bar redrawn in place on a terminal; one line per tenth in a file or pipe. Progress comes from several peers at once.</summary>
sealed class ProgressBar
{
    private readonly Lock _gate = new();
    private int _tenths = -1;

    public void Show(DownloadProgress progress)
    {
        lock (_gate)
        {
            int percent = (int)(progress.Fraction * 100);
            if (!Console.IsOutputRedirected)
            {
                string filled = new string('#', percent / 5).PadRight(20, '.');
                Console.Write($"\r[{filled}] {percent,3}%  {progress.PiecesVerified}/{progress.PieceCount} pieces  {progress.ConnectedPeers} peers");
            }
            else if (percent / 10 > _tenths)
            {
                _tenths = percent / 10;
                Console.WriteLine($"{percent}% ({progress.PiecesVerified}/{progress.PieceCount} pieces)");
            }
        }
    }

    public void Done()
    {
        if (!Console.IsOutputRedirected)
        {
            Console.WriteLine();
        }
    }
}

using MainlineDht.PeerWire.Torrent;
using Microsoft.Win32.SafeHandles;

namespace MainlineDht.PeerWire.Download;

/// <summary>
/// The torrent's files under the output folder. A verified piece is written to the files it
/// spans, at their offsets; the parts that fall in BEP 47 pad files are not written. Files are
/// opened per write, so a torrent of many files holds no handles between pieces.
/// </summary>
internal sealed class TorrentStorage
{
    private readonly TorrentInfo _info;
    private readonly string[] _paths; // null for pad files

    public TorrentStorage(TorrentInfo info, string outputDirectory)
    {
        _info = info;
        _paths = new string[info.Files.Count];
        for (int i = 0; i < info.Files.Count; i++)
        {
            _paths[i] = info.Files[i].IsPadding ? null! : info.GetOutputPath(outputDirectory, info.Files[i]);
        }
    }

    /// <summary>The files written, in torrent order.</summary>
    public IReadOnlyList<string> FilePaths => _paths.Where(p => p is not null).ToList();

    /// <summary>Creates every folder and every file at its full length (sparse), truncating what was there.</summary>
    public void Create()
    {
        for (int i = 0; i < _paths.Length; i++)
        {
            if (_paths[i] is not string path)
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
            RandomAccess.SetLength(handle, _info.Files[i].Length);
        }
    }

    /// <summary>Writes piece <paramref name="piece"/> (all its bytes) where its files lie.</summary>
    public async ValueTask WritePieceAsync(int piece, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        long start = (long)piece * _info.PieceLength;
        long end = start + data.Length;
        IReadOnlyList<TorrentFile> files = _info.Files;
        for (int i = FirstFileAt(start); i < files.Count && files[i].Offset < end; i++)
        {
            TorrentFile file = files[i];
            if (file.IsPadding || file.Length == 0)
            {
                continue;
            }

            long from = Math.Max(start, file.Offset);
            long to = Math.Min(end, file.Offset + file.Length);
            if (from >= to)
            {
                continue;
            }

            using SafeFileHandle handle = File.OpenHandle(_paths[i], FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            await RandomAccess.WriteAsync(handle, data.Slice((int)(from - start), (int)(to - from)), from - file.Offset, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The index of the first file whose range ends after <paramref name="offset"/> (binary search on the offsets).</summary>
    private int FirstFileAt(long offset)
    {
        IReadOnlyList<TorrentFile> files = _info.Files;
        int low = 0, high = files.Count - 1;
        while (low < high)
        {
            int mid = (low + high) / 2;
            if (files[mid].Offset + files[mid].Length <= offset)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}

using System.Security.Cryptography;
using MainlineDht.Bencode;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Torrent;

/// <summary>
/// A torrent's info dictionary, parsed for a BitTorrent v1 downloader: name, piece length, piece
/// hashes and files. Hybrid v1+v2 torrents (BEP 52) are read through their v1 part (<c>pieces</c>
/// and <c>files</c>; the v2 <c>file tree</c> is skipped); BEP 47 pad files are kept in
/// <see cref="Files"/> with <see cref="TorrentFile.IsPadding"/> set. Every path component is
/// checked so that no file can land outside the output folder.
/// </summary>
public sealed partial class TorrentInfo
{
    private readonly byte[] _metadata;
    private readonly byte[] _pieceHashes;

    private TorrentInfo(byte[] metadata, string name, int pieceLength, byte[] pieceHashes, IReadOnlyList<TorrentFile> files, bool multiFile, bool hybrid, bool isPrivate)
    {
        _metadata = metadata;
        _pieceHashes = pieceHashes;
        InfoHash = new NodeId(SHA1.HashData(metadata));
        Name = name;
        PieceLength = pieceLength;
        Files = files;
        IsMultiFile = multiFile;
        IsHybrid = hybrid;
        IsPrivate = isPrivate;
        TotalLength = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
    }

    /// <summary>The largest piece length <see cref="Parse"/> accepts: 64 MiB.</summary>
    public const int MaxPieceLength = 64 * 1024 * 1024;

    /// <summary>The most files <see cref="Parse"/> accepts: 1,000,000.</summary>
    public const int MaxFiles = 1_000_000;

    /// <summary>The v1 infohash: SHA-1 of the bencoded info dictionary (<see cref="Metadata"/>).</summary>
    public NodeId InfoHash { get; }

    /// <summary>The torrent's name: the file name of a single-file torrent, the folder of a multi-file one.</summary>
    public string Name { get; }

    /// <summary>The size of every piece but the last, in bytes.</summary>
    public int PieceLength { get; }

    /// <summary>How many pieces the torrent has.</summary>
    public int PieceCount => _pieceHashes.Length / 20;

    /// <summary>The length of the torrent's data: every file, pad files included.</summary>
    public long TotalLength { get; }

    /// <summary>The bytes of the files that are written (pad files left out).</summary>
    public long FilesLength => Files.Where(f => !f.IsPadding).Sum(f => f.Length);

    /// <summary>Every file in order, pad files included (see <see cref="TorrentFile.IsPadding"/>).</summary>
    public IReadOnlyList<TorrentFile> Files { get; }

    /// <summary>True for a torrent with a <c>files</c> list (its files go into a folder named <see cref="Name"/>).</summary>
    public bool IsMultiFile { get; }

    /// <summary>True when the dictionary also carries a BEP 52 v2 <c>file tree</c> (a hybrid torrent).</summary>
    public bool IsHybrid { get; }

    /// <summary>True when <c>private</c> is 1 (BEP 27: such a torrent is not meant to be found through the DHT).</summary>
    public bool IsPrivate { get; }

    /// <summary>The bencoded info dictionary, exactly as received: what BEP 9 exchanges.</summary>
    public ReadOnlyMemory<byte> Metadata => _metadata;

    /// <summary>The SHA-1 of piece <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> PieceHash(int index) => _pieceHashes.AsSpan(checked(index * 20), 20);

    /// <summary>The length of piece <paramref name="index"/>: <see cref="PieceLength"/>, or less for the last.</summary>
    public int GetPieceLength(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return index < PieceCount - 1 ? PieceLength : (int)(TotalLength - ((long)index * PieceLength));
    }

    /// <summary>
    /// A <c>.torrent</c> file of this info dictionary: <c>d4:info&lt;metadata&gt;e</c>, with no
    /// tracker (the DHT finds its peers).
    /// </summary>
    public byte[] ToTorrentFile()
    {
        byte[] file = new byte[_metadata.Length + 16];
        var writer = new BencodeWriter(file);
        writer.WriteStartDictionary();
        writer.WriteKey("info"u8);
        writer.WriteRawValue(_metadata);
        writer.WriteEnd();
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The full path of <paramref name="file"/> under <paramref name="outputDirectory"/>:
    /// <c>output/name/path…</c> for a multi-file torrent, <c>output/name</c> for a single file.
    /// </summary>
    public string GetOutputPath(string outputDirectory, TorrentFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string root = System.IO.Path.GetFullPath(outputDirectory);
        string path = IsMultiFile
            ? System.IO.Path.Combine([root, Name, .. file.PathComponents])
            : System.IO.Path.Combine(root, Name);
        string full = System.IO.Path.GetFullPath(path);

        // The components were checked when parsing; this is the last line of defence.
        string prefix = root.EndsWith(System.IO.Path.DirectorySeparatorChar) ? root : root + System.IO.Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidTorrentException($"the file '{file.Path}' would be written outside {root}");
        }

        return full;
    }
}

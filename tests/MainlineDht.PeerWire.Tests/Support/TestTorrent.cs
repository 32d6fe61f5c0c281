using System.Security.Cryptography;
using MainlineDht.Bencode;
using MainlineDht.PeerWire.Torrent;

namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>
/// A torrent made for a test: files with contents, laid out as libtorrent 2.x lays them out
/// (optionally a BEP 47 pad file after each file up to the next piece boundary), its info
/// dictionary, the concatenated data the pieces cover, and the parsed <see cref="TorrentInfo"/>.
/// </summary>
internal sealed class TestTorrent
{
    private TestTorrent(byte[] metadata, byte[] data, IReadOnlyList<(string Path, byte[] Content)> files)
    {
        Metadata = metadata;
        Data = data;
        Files = files;
        Info = TorrentInfo.Parse(metadata);
    }

    public byte[] Metadata { get; }

    /// <summary>Every byte the pieces cover, pad files (zeros) included.</summary>
    public byte[] Data { get; }

    public IReadOnlyList<(string Path, byte[] Content)> Files { get; }

    public TorrentInfo Info { get; }

    public byte[] Piece(int index) => Data.AsSpan(index * Info.PieceLength, Info.GetPieceLength(index)).ToArray();

    /// <summary>A multi-file torrent named <paramref name="name"/>; paths use '/'.</summary>
    public static TestTorrent MultiFile(string name, int pieceLength, bool padFiles, params (string Path, byte[] Content)[] files)
    {
        var entries = new List<(string[] Path, long Length, bool Pad)>();
        var data = new MemoryStream();
        for (int i = 0; i < files.Length; i++)
        {
            entries.Add((files[i].Path.Split('/'), files[i].Content.Length, false));
            data.Write(files[i].Content);
            long remainder = data.Length % pieceLength;
            if (padFiles && remainder != 0)
            {
                long pad = pieceLength - remainder;
                entries.Add(([".pad", pad.ToString(System.Globalization.CultureInfo.InvariantCulture)], pad, true));
                data.Write(new byte[pad]);
            }
        }

        byte[] bytes = data.ToArray();
        return new TestTorrent(Encode(name, pieceLength, bytes, entries, singleLength: null), bytes, files);
    }

    /// <summary>A torrent from an info dictionary made elsewhere and the data its pieces cover.</summary>
    public static TestTorrent FromMetadata(byte[] metadata, byte[] data)
    {
        TorrentInfo info = TorrentInfo.Parse(metadata);
        var files = info.Files.Where(f => !f.IsPadding).Select(f => (f.Path, data.AsSpan((int)f.Offset, (int)f.Length).ToArray())).ToList();
        return new TestTorrent(metadata, data, files);
    }

    /// <summary>A single-file torrent.</summary>
    public static TestTorrent SingleFile(string name, int pieceLength, byte[] content) =>
        new(Encode(name, pieceLength, content, [], singleLength: content.Length), content, [(name, content)]);

    /// <summary>An info dictionary with the given raw fields, for parser tests (keys must be sorted).</summary>
    public static byte[] Encode(string name, int pieceLength, byte[] data, List<(string[] Path, long Length, bool Pad)> files, long? singleLength)
    {
        int pieces = (int)((data.Length + pieceLength - 1) / pieceLength);
        byte[] buffer = new byte[64 * 1024 + pieces * 20 + files.Sum(f => f.Path.Sum(p => p.Length + 8) + 64)];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        if (singleLength is null)
        {
            writer.WriteKey("files"u8);
            writer.WriteStartList();
            foreach ((string[] path, long length, bool pad) in files)
            {
                writer.WriteStartDictionary();
                if (pad)
                {
                    writer.WriteString("attr"u8, "p"u8);
                }

                writer.WriteInteger("length"u8, length);
                writer.WriteKey("path"u8);
                writer.WriteStartList();
                foreach (string component in path)
                {
                    writer.WriteString(System.Text.Encoding.UTF8.GetBytes(component));
                }

                writer.WriteEnd();
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }
        else
        {
            writer.WriteInteger("length"u8, singleLength.Value);
        }

        writer.WriteString("name"u8, System.Text.Encoding.UTF8.GetBytes(name));
        writer.WriteInteger("piece length"u8, pieceLength);
        byte[] hashes = new byte[pieces * 20];
        for (int i = 0; i < pieces; i++)
        {
            int start = i * pieceLength;
            SHA1.HashData(data.AsSpan(start, Math.Min(pieceLength, data.Length - start)), hashes.AsSpan(i * 20, 20));
        }

        writer.WriteString("pieces"u8, hashes);
        writer.WriteEnd();
        if (writer.Overflowed)
        {
            throw new InvalidOperationException("the test torrent's buffer is too small");
        }

        return writer.WrittenSpan.ToArray();
    }
}

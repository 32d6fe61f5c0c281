using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using MainlineDht.Bencode;

namespace MainlineDht.PeerWire.Torrent;

public sealed partial class TorrentInfo
{
    /// <summary>Characters no path component may hold: separators of every system, NUL, and what this system forbids in a file name.</summary>
    private static readonly SearchValues<char> ForbiddenInComponent =
        SearchValues.Create(new string(['/', '\\', '\0', .. System.IO.Path.GetInvalidFileNameChars()]));

    /// <summary>
    /// Parses an info dictionary (BEP 3; hybrid BEP 52 read through its v1 part; BEP 47 pad
    /// files). Untrusted input: anything wrong is an <see cref="InvalidTorrentException"/> saying what.
    /// </summary>
    public static TorrentInfo Parse(ReadOnlySpan<byte> metadata) =>
        TryParse(metadata, out TorrentInfo? info, out string? error) ? info : throw new InvalidTorrentException(error);

    /// <summary>Parses an info dictionary; false with the reason when it cannot be used (see <see cref="Parse"/>).</summary>
    public static bool TryParse(ReadOnlySpan<byte> metadata, [NotNullWhen(true)] out TorrentInfo? info, [NotNullWhen(false)] out string? error)
    {
        try
        {
            info = ParseCore(metadata.ToArray());
            error = null;
            return true;
        }
        catch (InvalidTorrentException e)
        {
            info = null;
            error = e.Message;
            return false;
        }
    }

    private static TorrentInfo ParseCore(byte[] metadata)
    {
        var reader = new BencodeReader(metadata, new BencodeReaderOptions { MaxDepth = BencodeReaderOptions.MaxAllowedDepth });
        string? name = null, nameUtf8 = null;
        long? pieceLength = null, length = null;
        byte[]? pieces = null;
        List<RawFile>? files = null;
        bool fileTree = false, isPrivate = false;
        Expect(ref reader, BencodeTokenType.StartDictionary, "the info dictionary");
        while (Next(ref reader) == BencodeTokenType.Key)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = ReadText(ref reader, "name");
            }
            else if (reader.ValueTextEquals("name.utf-8"u8))
            {
                nameUtf8 = ReadText(ref reader, "name.utf-8");
            }
            else if (reader.ValueTextEquals("piece length"u8))
            {
                pieceLength = ReadInteger(ref reader, "piece length");
            }
            else if (reader.ValueTextEquals("pieces"u8))
            {
                Expect(ref reader, BencodeTokenType.String, "pieces");
                pieces = reader.ValueSpan.ToArray();
            }
            else if (reader.ValueTextEquals("length"u8))
            {
                length = ReadInteger(ref reader, "length");
            }
            else if (reader.ValueTextEquals("files"u8))
            {
                files = ReadFiles(ref reader);
            }
            else if (reader.ValueTextEquals("private"u8))
            {
                isPrivate = ReadInteger(ref reader, "private") == 1;
            }
            else
            {
                fileTree |= reader.ValueTextEquals("file tree"u8);
                SkipValue(ref reader);
            }
        }

        if (!reader.IsComplete)
        {
            throw Invalid(reader, "the info dictionary");
        }

        if (reader.BytesConsumed != metadata.Length)
        {
            throw new InvalidTorrentException($"{metadata.Length - reader.BytesConsumed} bytes follow the info dictionary");
        }

        name = nameUtf8 ?? name ?? throw new InvalidTorrentException("the info dictionary has no name");
        CheckComponent(name, "the torrent's name");
        if (pieceLength is not long pl || pl <= 0 || pl > MaxPieceLength)
        {
            throw new InvalidTorrentException(pieceLength is null
                ? "the info dictionary has no piece length"
                : $"the piece length {pieceLength} is outside 1 to {MaxPieceLength} bytes");
        }

        if (pieces is null)
        {
            throw new InvalidTorrentException(fileTree
                ? "the torrent is v2 only (a file tree and no v1 pieces): a v1 downloader cannot use it"
                : "the info dictionary has no pieces");
        }

        if (pieces.Length % 20 != 0)
        {
            throw new InvalidTorrentException($"pieces is {pieces.Length} bytes, not a multiple of 20");
        }

        if ((files is null) == (length is null))
        {
            throw new InvalidTorrentException(files is null
                ? "the info dictionary has neither length nor files"
                : "the info dictionary has both length and files");
        }

        List<TorrentFile> laidOut = files is null
            ? [new TorrentFile([name], length!.Value >= 0 ? length.Value : throw new InvalidTorrentException($"the length {length} is negative"), 0, false)]
            : LayOut(files);
        long total = laidOut[^1].Offset + laidOut[^1].Length;
        long expectedPieces = (total + pl - 1) / pl;
        if (total == 0)
        {
            throw new InvalidTorrentException("the torrent has no data (every file is empty)");
        }

        if (pieces.Length / 20 != expectedPieces)
        {
            throw new InvalidTorrentException($"pieces holds {pieces.Length / 20} hashes; {total} bytes in pieces of {pl} take {expectedPieces}");
        }

        return new TorrentInfo(metadata, name, (int)pl, pieces, laidOut, files is not null, fileTree, isPrivate);
    }

    private sealed record RawFile(string[] Path, long Length, bool IsPadding);

    private static List<RawFile> ReadFiles(ref BencodeReader reader)
    {
        Expect(ref reader, BencodeTokenType.StartList, "files");
        var files = new List<RawFile>();
        while (Next(ref reader) == BencodeTokenType.StartDictionary)
        {
            if (files.Count == MaxFiles)
            {
                throw new InvalidTorrentException($"the torrent lists more than {MaxFiles} files");
            }

            long? length = null;
            List<string>? path = null;
            bool padding = false;
            while (Next(ref reader) == BencodeTokenType.Key)
            {
                if (reader.ValueTextEquals("length"u8))
                {
                    length = ReadInteger(ref reader, "a file's length");
                }
                else if (reader.ValueTextEquals("path"u8))
                {
                    Expect(ref reader, BencodeTokenType.StartList, "a file's path");
                    path = [];
                    while (Next(ref reader) == BencodeTokenType.String)
                    {
                        path.Add(Encoding.UTF8.GetString(reader.ValueSpan));
                    }

                    if (reader.TokenType != BencodeTokenType.EndList)
                    {
                        throw Invalid(reader, "a file's path (a list of strings)");
                    }
                }
                else if (reader.ValueTextEquals("attr"u8))
                {
                    Expect(ref reader, BencodeTokenType.String, "a file's attr");
                    padding = reader.ValueSpan.Contains((byte)'p');
                }
                else
                {
                    SkipValue(ref reader);
                }
            }

            if (reader.TokenType != BencodeTokenType.EndDictionary)
            {
                throw Invalid(reader, "a file entry");
            }

            if (length is not long l || l < 0)
            {
                throw new InvalidTorrentException(length is null ? $"file {files.Count} has no length" : $"file {files.Count} has the negative length {length}");
            }

            if (path is null || path.Count == 0)
            {
                throw new InvalidTorrentException($"file {files.Count} has no path");
            }

            files.Add(new RawFile([.. path], l, padding));
        }

        if (reader.TokenType != BencodeTokenType.EndList)
        {
            throw Invalid(reader, "files (a list of dictionaries)");
        }

        if (files.Count == 0)
        {
            throw new InvalidTorrentException("files is empty");
        }

        return files;
    }

    /// <summary>Gives each file its offset, checks every path, and refuses two files at one path or a file where another needs a folder.</summary>
    private static List<TorrentFile> LayOut(List<RawFile> files)
    {
        var laidOut = new List<TorrentFile>(files.Count);
        var filePaths = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (RawFile file in files)
        {
            foreach (string component in file.Path)
            {
                CheckComponent(component, $"the path '{string.Join('/', file.Path)}'");
            }

            if (!file.IsPadding)
            {
                string joined = string.Join('/', file.Path);
                if (!filePaths.Add(joined) || folders.Contains(joined))
                {
                    throw new InvalidTorrentException($"the path '{joined}' is used twice (as two files, or as a file and a folder)");
                }

                for (int i = 1; i < file.Path.Length; i++)
                {
                    string folder = string.Join('/', file.Path[..i]);
                    if (filePaths.Contains(folder))
                    {
                        throw new InvalidTorrentException($"the path '{folder}' is used twice (as a file and a folder)");
                    }

                    folders.Add(folder);
                }
            }

            laidOut.Add(new TorrentFile(file.Path, file.Length, offset, file.IsPadding));
            offset = offset <= long.MaxValue / 2 - file.Length ? offset + file.Length : throw new InvalidTorrentException("the files' lengths add up to more than 2^62 bytes");
        }

        return laidOut;
    }

    /// <summary>One component of a path: not empty, not <c>.</c> or <c>..</c>, no separator, nothing this system forbids in a file name.</summary>
    private static void CheckComponent(string component, string where)
    {
        if (component.Length == 0)
        {
            throw new InvalidTorrentException($"{where} has an empty component");
        }

        if (component is "." or "..")
        {
            throw new InvalidTorrentException($"{where} has the component '{component}', which would leave its folder");
        }

        int bad = component.AsSpan().IndexOfAny(ForbiddenInComponent);
        if (bad >= 0 || System.IO.Path.IsPathRooted(component))
        {
            string shown = bad >= 0 && component[bad] == '\0' ? "NUL" : bad >= 0 ? $"'{component[bad]}'" : "a root";
            throw new InvalidTorrentException($"{where} has the component '{component.Replace("\0", "\\0", StringComparison.Ordinal)}' with {shown} in it");
        }
    }

    private static BencodeTokenType Next(ref BencodeReader reader) =>
        reader.TryRead() ? reader.TokenType : throw Invalid(reader, "the info dictionary");

    private static void Expect(ref BencodeReader reader, BencodeTokenType type, string what)
    {
        if (Next(ref reader) != type)
        {
            throw new InvalidTorrentException($"{what} is not a {Describe(type)} (at byte {reader.TokenStartIndex})");
        }
    }

    private static long ReadInteger(ref BencodeReader reader, string what)
    {
        Expect(ref reader, BencodeTokenType.Integer, what);
        return reader.IntegerValue;
    }

    private static string ReadText(ref BencodeReader reader, string what)
    {
        Expect(ref reader, BencodeTokenType.String, what);
        return Encoding.UTF8.GetString(reader.ValueSpan);
    }

    private static void SkipValue(ref BencodeReader reader)
    {
        if (Next(ref reader) is BencodeTokenType.StartList or BencodeTokenType.StartDictionary && !reader.TrySkip())
        {
            throw Invalid(reader, "the info dictionary");
        }
    }

    private static string Describe(BencodeTokenType type) => type switch
    {
        BencodeTokenType.StartDictionary => "dictionary",
        BencodeTokenType.StartList => "list",
        BencodeTokenType.Integer => "integer",
        _ => "string",
    };

    private static InvalidTorrentException Invalid(BencodeReader reader, string what) =>
        new(reader.Error == BencodeError.None
            ? $"{what} is not what a torrent holds there (at byte {reader.TokenStartIndex})"
            : $"{what} is not well-formed bencode: {BencodeException.Describe(reader.Error)} at byte {reader.ErrorOffset}");
}

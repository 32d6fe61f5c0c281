using System.Security.Cryptography;
using MainlineDht.PeerWire.Tests.Support;
using MainlineDht.PeerWire.Torrent;
using MainlineDht.Protocol;
using static MainlineDht.PeerWire.Tests.Support.Bytes;

namespace MainlineDht.PeerWire.Tests.Torrent;

/// <summary>The info dictionary as a v1 downloader reads it: libtorrent's hybrid with pad files, and every way a path could escape.</summary>
public sealed class TorrentInfoTests
{
    [Test]
    public void Libtorrents_hybrid_is_read_through_its_v1_part_with_pad_files_marked()
    {
        TorrentInfo info = TorrentInfo.Parse(LibtorrentVector.Metadata);

        Assert.Multiple(() =>
        {
            Assert.That(info.InfoHash, Is.EqualTo(NodeId.Parse(LibtorrentVector.InfoHash)), "libtorrent's v1 infohash");
            Assert.That(info.Name, Is.EqualTo("small"));
            Assert.That(info.IsMultiFile, Is.True);
            Assert.That(info.IsHybrid, Is.True);
            Assert.That(info.PieceLength, Is.EqualTo(16384));
            Assert.That(info.PieceCount, Is.EqualTo(4));
            Assert.That(info.TotalLength, Is.EqualTo(65536));
            Assert.That(info.FilesLength, Is.EqualTo(25600 + 12 + 3));
            Assert.That(info.Files.Select(f => (f.Path, f.Length, f.Offset, f.IsPadding)), Is.EqualTo(new[]
            {
                ("data.bin", 25600L, 0L, false),
                (".pad/7168", 7168L, 25600L, true),
                ("docs/readme.txt", 12L, 32768L, false),
                (".pad/16372", 16372L, 32780L, true),
                ("z.txt", 3L, 49152L, false),
                (".pad/16381", 16381L, 49155L, true),
            }));
            Assert.That(info.GetPieceLength(3), Is.EqualTo(16384));
        });

        byte[] data = LibtorrentVector.Data;
        for (int i = 0; i < info.PieceCount; i++)
        {
            Assert.That(SHA1.HashData(data.AsSpan(i * 16384, 16384)), Is.EqualTo(info.PieceHash(i).ToArray()), $"piece {i} covers the files and their padding");
        }
    }

    [Test]
    public void A_single_file_torrent_has_one_file_named_after_the_torrent()
    {
        TestTorrent torrent = TestTorrent.SingleFile("movie.mkv", 16384, Bytes.Random(40000, 1));

        Assert.Multiple(() =>
        {
            Assert.That(torrent.Info.IsMultiFile, Is.False);
            Assert.That(torrent.Info.Files.Select(f => (f.Path, f.Length)), Is.EqualTo(new[] { ("movie.mkv", 40000L) }));
            Assert.That(torrent.Info.PieceCount, Is.EqualTo(3));
            Assert.That(torrent.Info.GetPieceLength(2), Is.EqualTo(40000 - 32768));
            Assert.That(torrent.Info.GetOutputPath("/tmp/out", torrent.Info.Files[0]), Is.EqualTo("/tmp/out/movie.mkv"));
        });
    }

    [Test]
    public void Output_paths_of_a_multi_file_torrent_are_under_a_folder_named_after_it()
    {
        TorrentInfo info = TorrentInfo.Parse(LibtorrentVector.Metadata);

        Assert.That(info.GetOutputPath("/tmp/out", info.Files[2]), Is.EqualTo("/tmp/out/small/docs/readme.txt"));
    }

    [Test]
    public void A_torrent_file_is_the_info_dictionary_under_info()
    {
        TorrentInfo info = TorrentInfo.Parse(LibtorrentVector.Metadata);

        Assert.That(info.ToTorrentFile(), Is.EqualTo((byte[])[.. "d4:info"u8, .. LibtorrentVector.Metadata, (byte)'e']));
    }

    [TestCase("..", "has the component '..', which would leave its folder")]
    [TestCase(".", "has the component '.', which would leave its folder")]
    [TestCase("", "has an empty component")]
    [TestCase("a/b", "has the component 'a/b' with '/' in it")]
    [TestCase("/etc", "has the component '/etc' with '/' in it")]
    [TestCase("a\\..\\..\\b", "with '\\' in it")]
    [TestCase("a\0b", "has the component 'a\\0b' with NUL in it")]
    public void A_path_component_that_could_escape_the_output_folder_is_refused(string component, string message)
    {
        byte[] metadata = TestTorrent.Encode("t", 16384, new byte[10], [(["docs", component, "x"], 10, false)], null);

        Assert.That(TorrentInfo.TryParse(metadata, out _, out string? error), Is.False);
        Assert.That(error, Does.Contain(message));
        Assert.Throws<InvalidTorrentException>(() => TorrentInfo.Parse(metadata));
    }

    [TestCase("..")]
    [TestCase("a/b")]
    [TestCase("")]
    public void A_torrent_name_that_could_escape_is_refused(string name)
    {
        byte[] metadata = TestTorrent.Encode(name, 16384, new byte[10], [], 10);

        Assert.That(TorrentInfo.TryParse(metadata, out _, out string? error), Is.False);
        Assert.That(error, Does.StartWith("the torrent's name has"));
    }

    [Test]
    public void Pad_file_paths_are_checked_too()
    {
        byte[] metadata = TestTorrent.Encode("t", 16384, new byte[20], [(["a"], 10, false), ([".pad", ".."], 10, true)], null);

        Assert.That(TorrentInfo.TryParse(metadata, out _, out string? error), Is.False);
        Assert.That(error, Does.Contain("'..'"));
    }

    [Test]
    public void Two_files_at_one_path_are_refused()
    {
        byte[] metadata = TestTorrent.Encode("t", 16384, new byte[20], [(["a", "b"], 10, false), (["a", "b"], 10, false)], null);

        Assert.That(TorrentInfo.TryParse(metadata, out _, out string? error), Is.False);
        Assert.That(error, Is.EqualTo("the path 'a/b' is used twice (as two files, or as a file and a folder)"));
    }

    [Test]
    public void A_file_where_another_needs_a_folder_is_refused()
    {
        byte[] metadata = TestTorrent.Encode("t", 16384, new byte[20], [(["a"], 10, false), (["a", "b"], 10, false)], null);

        Assert.That(TorrentInfo.TryParse(metadata, out _, out string? error), Is.False);
        Assert.That(error, Is.EqualTo("the path 'a' is used twice (as a file and a folder)"));
    }

    [TestCase("d4:name1:t12:piece lengthi16384e6:pieces0:e", "the info dictionary has neither length nor files")]
    [TestCase("d6:lengthi10e4:name1:t6:pieces0:e", "the info dictionary has no piece length")]
    [TestCase("d6:lengthi10e4:name1:t12:piece lengthi0e6:pieces0:e", "the piece length 0 is outside 1 to 67108864 bytes")]
    [TestCase("d6:lengthi10e4:name1:t12:piece lengthi16384ee", "the info dictionary has no pieces")]
    [TestCase("d9:file treed1:ad0:d6:lengthi1eeee12:meta versioni2e4:name1:t12:piece lengthi16384ee", "the torrent is v2 only")]
    [TestCase("d6:lengthi10e4:name1:t12:piece lengthi16384e6:pieces3:abce", "pieces is 3 bytes, not a multiple of 20")]
    [TestCase("d6:lengthi10e4:name1:t12:piece lengthi16384e6:pieces0:e", "pieces holds 0 hashes; 10 bytes in pieces of 16384 take 1")]
    [TestCase("d6:lengthi0e4:name1:t12:piece lengthi16384e6:pieces0:e", "the torrent has no data")]
    [TestCase("d6:lengthi-5e4:name1:t12:piece lengthi16384e6:pieces0:e", "the length -5 is negative")]
    [TestCase("d6:lengthi10e12:piece lengthi16384e6:pieces0:e", "the info dictionary has no name")]
    [TestCase("d5:filesle4:name1:t12:piece lengthi16384e6:pieces0:e", "files is empty")]
    [TestCase("d5:filesld4:pathl1:aeee4:name1:t12:piece lengthi16384e6:pieces0:e", "file 0 has no length")]
    [TestCase("d5:filesld6:lengthi1eee4:name1:t12:piece lengthi16384e6:pieces0:e", "file 0 has no path")]
    [TestCase("d5:filesld6:lengthi1e4:pathleee4:name1:t12:piece lengthi16384e6:pieces0:e", "file 0 has no path")]
    [TestCase("d5:filesld6:lengthi1e4:pathli1eeee4:name1:t12:piece lengthi16384e6:pieces0:e", "a file's path (a list of strings)")]
    [TestCase("d5:files3:abc4:name1:t12:piece lengthi16384e6:pieces0:e", "files is not a list")]
    [TestCase("d6:lengthi10e4:name1:t12:piece lengthi16384e6:pieces0:ee", "1 bytes follow the info dictionary")]
    [TestCase("d6:lengthi10e4:name1:t", "not well-formed bencode")]
    [TestCase("le", "the info dictionary is not a dictionary")]
    public void What_a_downloader_cannot_use_is_refused_with_the_reason(string metadata, string message)
    {
        Assert.That(TorrentInfo.TryParse(Latin1(metadata), out _, out string? error), Is.False);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void The_infohash_is_the_sha1_of_the_bytes_as_given()
    {
        // Keys out of order are still read, and the hash is of these exact bytes.
        byte[] metadata = Latin1("d4:name1:t6:lengthi1e12:piece lengthi16384e6:pieces20:" + Text(SHA1.HashData("x"u8)) + "e");

        TorrentInfo info = TorrentInfo.Parse(metadata);

        Assert.That(info.InfoHash, Is.EqualTo(new NodeId(SHA1.HashData(metadata))));
        Assert.That(info.Metadata.ToArray(), Is.EqualTo(metadata));
    }
}

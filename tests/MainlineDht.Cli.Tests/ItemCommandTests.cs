using System.Text;
using System.Text.Json;
using MainlineDht.Items;
using MainlineDht.Protocol;

using MainlineDht.Cli.Tests.Support;

namespace MainlineDht.Cli.Tests;

/// <summary>
/// <c>put</c>, <c>get</c> and <c>keygen</c> (BEP 44) as scripts use them, against our nodes in the
/// test process on 127.0.144.x: what they print, their JSON, their exit codes, and that the one-shot
/// processes stay out of the swarm's routing tables.
/// </summary>
[NonParallelizable]
public sealed class ItemCommandTests
{
    private const string OneShot = "127.0.145.";

    private LoopbackSwarm _swarm = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task StartSwarm()
    {
        _swarm = await LoopbackSwarm.StartAsync("127.0.144", 12);
        _directory = Directory.CreateTempSubdirectory("mainline-dht-items-").FullName;
    }

    [OneTimeTearDown]
    public async Task StopSwarm()
    {
        await _swarm.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private Task<ToolRun> Run(int address, params string[] args) =>
        Tool.RunAsync([.. args, "--bind", OneShot + address, "--bootstrap", _swarm.Hub]);

    private static JsonElement Json(ToolRun run)
    {
        using JsonDocument document = JsonDocument.Parse(run.Stdout);
        return document.RootElement.Clone();
    }

    [Test]
    public async Task Put_prints_the_target_of_an_immutable_value_and_get_prints_the_value()
    {
        ToolRun put = await Run(1, "put", "Hello World!");
        Assert.That(put.ExitCode, Is.Zero, put.Stderr);
        string[] lines = put.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("e5f96f6f38320f0f33959cb4d3d656452117aadb"), "BEP 44's target of 12:Hello World!");
        Assert.That(lines[1], Does.StartWith("stored on ").And.EndsWith(" nodes"));
        Assert.That(_swarm.Nodes.Sum(n => n.GetStatistics().StoredItems), Is.GreaterThanOrEqualTo(1));

        ToolRun get = await Run(2, "get", lines[0]);
        Assert.That(get.ExitCode, Is.Zero, get.Stderr);
        Assert.That(get.Stdout, Is.EqualTo("Hello World!" + Environment.NewLine));

        ToolRun json = await Run(3, "get", lines[0], "--json");
        JsonElement found = Json(json);
        Assert.That(found.GetProperty("target").GetString(), Is.EqualTo(lines[0]));
        Assert.That(found.GetProperty("value").GetString(), Is.EqualTo("Hello World!"));
        foreach (string key in new[] { "seq", "k", "sig" })
        {
            Assert.That(found.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Null), key);
        }

        Assert.That(found.GetProperty("report").GetProperty("replies").GetInt32(), Is.GreaterThan(0));

        Assert.That(EntriesOfOneShots(), Is.Empty, "a one-shot put or get is a read-only node: never listed");
    }

    [Test]
    public async Task Put_json_lists_the_nodes_that_stored_it()
    {
        ToolRun put = await Run(4, "put", "json listing", "--json");
        Assert.That(put.ExitCode, Is.Zero, put.Stderr);
        JsonElement json = Json(put);
        string target = json.GetProperty("target").GetString()!;
        Assert.That(target, Is.EqualTo(ItemTarget.ForImmutable(DhtItem.EncodeByteString("json listing"u8)).ToString()));
        Assert.That(json.GetProperty("seq").ValueKind, Is.EqualTo(JsonValueKind.Null));
        JsonElement[] accepted = [.. json.GetProperty("accepted").EnumerateArray()];
        Assert.That(accepted, Is.Not.Empty);
        string[] holders = [.. _swarm.Nodes.Where(n => n.GetStatistics().StoredItems > 0).Select(n => n.LocalEndPoint.ToString())];
        Assert.That(accepted.Select(a => a.GetProperty("endpoint").GetString()), Is.SubsetOf(holders));
        Assert.That(accepted.Select(a => a.GetProperty("id").GetString()), Is.All.Length.EqualTo(40));
        Assert.That(json.GetProperty("refused").GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task A_mutable_item_is_put_with_a_key_from_keygen_updated_read_back_and_a_stale_put_shows_the_refusals()
    {
        string seed = Path.Combine(_directory, "key.seed");
        ToolRun keygen = await Tool.RunAsync("keygen", seed, "--json");
        Assert.That(keygen.ExitCode, Is.Zero, keygen.Stderr);
        string publicKey = Json(keygen).GetProperty("public_key").GetString()!;
        byte[] seedBytes = await File.ReadAllBytesAsync(seed);
        Assert.That(seedBytes, Has.Length.EqualTo(32));
        using (SigningKey key = SigningKey.FromSeed(seedBytes))
        {
            Assert.That(Convert.ToHexStringLower(key.PublicKey.Span), Is.EqualTo(publicKey));
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(seed), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }

        ToolRun overwrite = await Tool.RunAsync("keygen", seed);
        Assert.That(overwrite.ExitCode, Is.EqualTo(2));
        Assert.That(overwrite.Stderr, Does.StartWith("error: ").And.Contain("exists"));
        Assert.That(await File.ReadAllBytesAsync(seed), Is.EqualTo(seedBytes), "the key is untouched");

        ToolRun first = await Run(5, "put", "version one", "--key", seed, "--salt", "profile", "--json");
        Assert.That(first.ExitCode, Is.Zero, first.Stderr);
        JsonElement one = Json(first);
        Assert.That((one.GetProperty("seq").GetInt64(), one.GetProperty("k").GetString()), Is.EqualTo((1L, publicKey)), "no --seq: the one after none found");
        string target = one.GetProperty("target").GetString()!;
        Assert.That(target, Is.EqualTo(ItemTarget.ForMutable(Convert.FromHexString(publicKey), "profile"u8).ToString()));

        ToolRun second = await Run(6, "put", "version two", "--key", seed, "--salt", "profile");
        Assert.That(second.ExitCode, Is.Zero, second.Stderr);
        Assert.That(second.Stdout, Does.StartWith(target + Environment.NewLine).And.Contain("seq 2)"));

        ToolRun get = await Run(7, "get", target, "--key-public", publicKey, "--salt", "profile", "--json");
        Assert.That(get.ExitCode, Is.Zero, get.Stderr);
        JsonElement read = Json(get);
        Assert.That((read.GetProperty("value").GetString(), read.GetProperty("seq").GetInt64(), read.GetProperty("k").GetString()), Is.EqualTo(("version two", 2L, publicKey)));
        DhtItem item = DhtItem.Mutable(Convert.FromHexString(publicKey), "profile"u8, 2, DhtItem.EncodeByteString("version two"u8), Convert.FromHexString(read.GetProperty("sig").GetString()!));
        Assert.That(item.VerifySignature(Ed25519ItemSignatureVerifier.Instance), Is.True);

        ToolRun stale = await Run(8, "put", "version zero", "--key", seed, "--salt", "profile", "--seq", "1", "--json");
        Assert.That(stale.ExitCode, Is.EqualTo(1), "no node stored it");
        JsonElement refusals = Json(stale);
        Assert.That(refusals.GetProperty("accepted").GetArrayLength(), Is.Zero);
        JsonElement[] refused = [.. refusals.GetProperty("refused").EnumerateArray()];
        Assert.That(refused, Is.Not.Empty);
        Assert.That(refused.Select(r => r.GetProperty("code").GetInt32()).Distinct(), Is.EqualTo(new[] { 302 }));
        Assert.That(refused.Select(r => r.GetProperty("message").GetString()).Distinct(), Is.EqualTo(new[] { "sequence number less than current" }));
        Assert.That(refused.Select(r => r.GetProperty("endpoint").GetString()), Is.All.StartWith("127.0.144."));

        ToolRun swap = await Run(9, "put", "version three", "--key", seed, "--salt", "profile", "--seq", "3", "--cas", "1");
        Assert.That(swap.ExitCode, Is.EqualTo(1));
        Assert.That(swap.Stdout, Does.Contain(": 301 the CAS hash mismatched"));
    }

    [Test]
    public async Task Get_exits_1_when_nothing_is_found_and_shows_a_value_that_is_not_UTF_8_text_as_hex()
    {
        ToolRun missing = await Run(10, "get", ItemTarget.ForImmutable("9:not there"u8).ToString(), "--json");
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.Stderr);
        Assert.That(Json(missing).GetProperty("value").ValueKind, Is.EqualTo(JsonValueKind.Null));

        ItemPutResult binary = await _swarm.Nodes[3].PutImmutableAsync(DhtItem.EncodeByteString([0xff, 0xfe, 0x00]));
        ItemPutResult integer = await _swarm.Nodes[4].PutImmutableAsync("i42e"u8.ToArray());
        Assert.That(binary.Stored && integer.Stored, Is.True);
        ToolRun bytes = await Run(11, "get", binary.Item.Target.ToString());
        Assert.That(bytes.Stdout.Trim(), Is.EqualTo("333afffe00"), "the bencode of the byte string, in hex");
        ToolRun number = await Run(12, "get", integer.Item.Target.ToString());
        Assert.That(number.Stdout.Trim(), Is.EqualTo(Convert.ToHexStringLower("i42e"u8)));
    }

    [TestCase("put", "value", "--salt", "s", "give --key SEEDFILE", TestName = "put --salt without --key")]
    [TestCase("put", "value", "--seq", "2", "give --key SEEDFILE", TestName = "put --seq without --key")]
    [TestCase("get", "e5f96f6f38320f0f33959cb4d3d656452117aadb", "--salt", "s", "give --key-public", TestName = "get --salt without a key")]
    [TestCase("get", "e5f96f6f38320f0f33959cb4d3d656452117aadb", "--key-public", "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548", "is not the target of that key", TestName = "get with a key of another target")]
    [TestCase("get", "e5f96f6f38320f0f33959cb4d3d656452117aadb", "--key-public", "77ff", "not an ed25519 public key", TestName = "get with a short key")]
    [TestCase("put", "value", "--key", "/nonexistent/seed", "cannot read", TestName = "put with a missing seed file")]
    public async Task Bad_arguments_are_one_line_on_stderr_and_exit_2(string command, string argument, string option, string value, string message)
    {
        ToolRun run = await Tool.RunAsync(command, argument, option, value, "--bind", OneShot + "50", "--bootstrap", "127.0.145.254:9");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr.Trim(), Does.StartWith("error: ").And.Contain(message));
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public async Task A_value_over_996_bytes_is_refused_before_anything_is_sent()
    {
        ToolRun run = await Tool.RunAsync("put", new string('x', 997), "--bind", OneShot + "51", "--bootstrap", "127.0.145.254:9");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Stderr, Does.Contain("at most 996"));
        ToolRun wrongSize = await Tool.RunAsync("put", "v", "--key", WriteFile("short.seed", new byte[31]), "--bind", OneShot + "52", "--bootstrap", "127.0.145.254:9");
        Assert.That((wrongSize.ExitCode, wrongSize.Stderr), Is.EqualTo((2, $"error: --key: {Path.Combine(_directory, "short.seed")} holds 31 bytes, not a 32-byte seed (make one with: mainline-dht keygen FILE).{Environment.NewLine}")));
    }

    private string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private List<string> EntriesOfOneShots() =>
        [.. _swarm.Nodes.SelectMany(n => n.GetRoutingTable()).Select(e => e.EndPoint.ToString()).Where(e => e.StartsWith(OneShot, StringComparison.Ordinal))];
}

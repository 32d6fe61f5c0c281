using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MainlineDht.Items;
using MainlineDht.Protocol;

namespace MainlineDht.Cli;

/// <summary>
/// BEP 44: <c>put</c> and <c>get</c> (one-shot commands on a short-lived node, BEP 43 read-only
/// unless <c>--full-node</c> is given: nodes give write tokens to read-only queriers, so puts work)
/// and <c>keygen</c>, which makes the key a mutable item is signed with. Values typed on the command
/// line are stored as bencoded byte strings.
/// </summary>
internal static class ItemCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Put()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var value = new Argument<string>("value") { Description = "The value, stored as a bencoded byte string of its UTF-8 bytes (at most 996 bytes)." };
        var keyFile = new Option<string?>("--key") { Description = "A seed file (mainline-dht keygen): put a mutable item signed with its key. Without it the item is immutable." };
        var salt = new Option<string?>("--salt") { Description = "Mutable items: a salt (at most 64 bytes of UTF-8), so one key can hold several items." };
        var seq = new Option<long?>("--seq") { Description = "Mutable items: the sequence number (default: the current one found in the DHT, plus one)." };
        var cas = new Option<long?>("--cas") { Description = "Mutable items: store only where the current sequence number is this one (compare and swap)." };
        var command = new Command("put", "Store a value in the DHT (BEP 44) and print its target. Exit 0 if at least one node stored it.") { value };
        common.AddTo(command);
        command.Options.Add(keyFile);
        command.Options.Add(salt);
        command.Options.Add(seq);
        command.Options.Add(cas);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            byte[] bencoded = EncodeValue(parse.GetValue(value)!);
            string? seedFile = parse.GetValue(keyFile);
            byte[] saltBytes = Salt(parse.GetValue(salt));
            long? sequence = parse.GetValue(seq), compareAndSwap = parse.GetValue(cas);
            if (seedFile is null && (saltBytes.Length > 0 || sequence is not null || compareAndSwap is not null))
            {
                throw new CliException("--salt, --seq and --cas are for mutable items: give --key SEEDFILE too.");
            }

            if (sequence is < 0 || compareAndSwap is < 0)
            {
                throw new CliException("--seq and --cas must not be negative.");
            }

            using SigningKey? key = seedFile is null ? null : ReadKey(seedFile);
            bool json = parse.GetValue(common.Json);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            ItemPutResult result = key is null
                ? await node.PutImmutableAsync(bencoded, timeout.Token).ConfigureAwait(false)
                : await node.PutMutableAsync(key, bencoded, saltBytes, sequence, compareAndSwap, timeout.Token).ConfigureAwait(false);
            DhtItem item = result.Item;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["target"] = item.Target.ToString(),
                    ["seq"] = item.Sequence,
                    ["k"] = item.IsMutable ? Convert.ToHexStringLower(item.PublicKey.Span) : null,
                    ["accepted"] = result.Accepted.Select(LookupCommands.NodeJson).ToArray(),
                    ["refused"] = result.Refused.Select(r => new Dictionary<string, object>
                    {
                        ["endpoint"] = r.Node.EndPoint.ToString(),
                        ["code"] = r.Code,
                        ["message"] = r.Message,
                    }).ToArray(),
                    ["report"] = LookupCommands.ReportJson(result.Report),
                    ["warnings"] = warnings.ToArray(),
                }, Json));
            }
            else
            {
                Console.WriteLine(item.Target);
                string version = item.IsMutable ? string.Create(CultureInfo.InvariantCulture, $" (key {Convert.ToHexStringLower(item.PublicKey.Span)}, seq {item.Sequence})") : "";
                Console.WriteLine($"stored on {result.Accepted.Count} nodes{version}");
                foreach (NodeInfo accepted in result.Accepted)
                {
                    Console.WriteLine($"  {accepted.Id} {accepted.EndPoint}");
                }

                foreach (ItemPutRefusal refused in result.Refused)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"refused by {refused.Node.EndPoint}: {refused.Code} {refused.Message}"));
                }
            }

            return result.Stored ? 0 : 1;
        }));
        return command;
    }

    public static Command Get()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("target") { Description = "The item's target (40 hex digits), as put printed it." };
        var publicKey = new Option<string?>("--key-public") { Description = "A mutable item's public key (64 hex digits): the item must be signed by it." };
        var salt = new Option<string?>("--salt") { Description = "A mutable item's salt, as it was put." };
        var command = new Command("get", "Read a value from the DHT (BEP 44), checked against its target or its key; prints it. Exit 0 if found, 1 if not.") { target };
        common.AddTo(command);
        command.Options.Add(publicKey);
        command.Options.Add(salt);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId id = Targets.ParseNodeId(parse.GetValue(target)!);
            string? keyHex = parse.GetValue(publicKey);
            byte[] saltBytes = Salt(parse.GetValue(salt));
            byte[]? key = keyHex is null ? null : PublicKey(keyHex);
            if (key is null && saltBytes.Length > 0)
            {
                throw new CliException("--salt is for mutable items: give --key-public too.");
            }

            if (key is not null)
            {
                NodeId expected = ItemTarget.ForMutable(key, saltBytes);
                if (expected != id)
                {
                    throw new CliException($"{id} is not the target of that key{(saltBytes.Length > 0 ? " and salt" : "")}: that is {expected}.");
                }
            }

            bool json = parse.GetValue(common.Json);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            ItemLookupResult result = key is null
                ? await node.GetItemAsync(id, timeout.Token).ConfigureAwait(false)
                : await node.GetItemAsync(key, saltBytes, timeout.Token).ConfigureAwait(false);
            DhtItem? item = result.Item;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["target"] = id.ToString(),
                    ["value"] = item is null ? null : ValueText(item),
                    ["seq"] = item?.Sequence,
                    ["k"] = item is { IsMutable: true } ? Convert.ToHexStringLower(item.PublicKey.Span) : null,
                    ["sig"] = item is { IsMutable: true } ? Convert.ToHexStringLower(item.Signature.Span) : null,
                    ["report"] = LookupCommands.ReportJson(result.Report),
                    ["warnings"] = warnings.ToArray(),
                }, Json));
            }
            else if (item is not null)
            {
                Console.WriteLine(ValueText(item));
            }

            return item is not null ? 0 : 1;
        }));
        return command;
    }

    public static Command Keygen()
    {
        var file = new Argument<string>("seedfile") { Description = "Where to write the new key's 32-byte seed (never overwritten; readable by its owner only)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout and nothing else." };
        var command = new Command("keygen", "Make an ed25519 key for mutable items (put --key): writes its seed to SEEDFILE and prints its public key.") { file };
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(_ =>
        {
            string path = parse.GetValue(file)!;
            using SigningKey key = SigningKey.Generate();
            byte[] seed = key.ExportSeed();
            try
            {
                WriteNew(path, seed);
            }
            finally
            {
                Array.Clear(seed);
            }

            string publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new Dictionary<string, string> { ["seed_file"] = Path.GetFullPath(path), ["public_key"] = publicKey }, Json)
                : publicKey);
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>The value as the item's bencode: a byte string of its UTF-8 bytes.</summary>
    private static byte[] EncodeValue(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            return DhtItem.EncodeByteString(bytes);
        }
        catch (ArgumentException)
        {
            throw new CliException($"the value is {bytes.Length} bytes of UTF-8; BEP 44 allows 1000 bytes of bencode, so at most 996.");
        }
    }

    private static byte[] Salt(string? text)
    {
        byte[] salt = text is null ? [] : Encoding.UTF8.GetBytes(text);
        return salt.Length <= PutQuery.MaxSaltSize
            ? salt
            : throw new CliException($"--salt is {salt.Length} bytes of UTF-8; BEP 44 allows {PutQuery.MaxSaltSize}.");
    }

    private static byte[] PublicKey(string hex)
    {
        hex = hex.Trim();
        return hex.Length == 2 * ItemSignature.PublicKeySize && hex.All(char.IsAsciiHexDigit)
            ? Convert.FromHexString(hex)
            : throw new CliException($"--key-public: '{hex}' is not an ed25519 public key (64 hex digits).");
    }

    private static SigningKey ReadKey(string path)
    {
        byte[] seed;
        try
        {
            seed = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--key: cannot read {path}: {e.Message}");
        }

        try
        {
            return seed.Length == SigningKey.SeedSize
                ? SigningKey.FromSeed(seed)
                : throw new CliException($"--key: {path} holds {seed.Length} bytes, not a {SigningKey.SeedSize}-byte seed (make one with: mainline-dht keygen FILE).");
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    /// <summary>Creates <paramref name="path"/> with <paramref name="seed"/>, readable and writable by its owner only; an existing file is an error.</summary>
    private static void WriteNew(string path, byte[] seed)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(seed);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new CliException($"{path} exists: keygen never overwrites a key (whoever has the old seed can still sign with it).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {path}: {e.Message}");
        }
    }

    /// <summary>The value as text when it is a byte string of UTF-8, else its bencode in hex.</summary>
    private static string ValueText(DhtItem item) =>
        item.TryGetByteString(out ReadOnlyMemory<byte> bytes) && Utf8.IsValid(bytes.Span)
            ? Encoding.UTF8.GetString(bytes.Span)
            : Convert.ToHexStringLower(item.Value.Span);
}

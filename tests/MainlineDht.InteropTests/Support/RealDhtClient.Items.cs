using System.Text.Json.Nodes;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>BEP 44: the client's own put and get (see <c>harness/README.md</c>).</summary>
public sealed partial class RealDhtClient
{
    /// <summary>
    /// <c>put</c>: the client's get traversal for write tokens, then its <c>put</c> of
    /// <paramref name="value"/> (stored as a bencoded byte string of its UTF-8 bytes) to the closest
    /// nodes that gave one. With <paramref name="seed"/> (bittorrent-dht only), a mutable item
    /// signed with that ed25519 key, with <paramref name="sequence"/> and <paramref name="salt"/>.
    /// </summary>
    public async Task<ClientPutResult> PutAsync(string value, TimeSpan timeout, byte[]? seed = null, long sequence = 0, string? salt = null)
    {
        var command = new JsonObject { ["cmd"] = "put", ["value"] = value, ["timeout"] = timeout.TotalSeconds };
        if (seed is not null)
        {
            command["seed"] = Convert.ToHexStringLower(seed);
            command["sequence"] = sequence; // "seq" is the harness protocol's own
            if (salt is not null)
            {
                command["salt"] = salt;
            }
        }

        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        return new ClientPutResult(
            (bool?)reply["ok"] ?? false,
            reply["target"] is JsonNode target ? NodeId.Parse((string)target!) : null,
            (int?)reply["sent_to"] ?? 0,
            (string?)reply["error"])
        {
            PublicKey = reply["public_key"] is JsonNode key ? Convert.FromHexString((string)key!) : null,
        };
    }

    /// <summary>
    /// <c>get</c>: the client's own lookup of the item under <paramref name="target"/>, checked by
    /// the client (a value that hashes to the target; a mutable one, with <paramref name="salt"/>,
    /// whose signature its ed25519 check accepts).
    /// </summary>
    public async Task<ClientGetResult> GetAsync(NodeId target, TimeSpan timeout, string? salt = null)
    {
        var command = new JsonObject { ["cmd"] = "get", ["target"] = target.ToString(), ["timeout"] = timeout.TotalSeconds };
        if (salt is not null)
        {
            command["salt"] = salt;
        }

        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        ThrowIfFailed(command, reply);
        return new ClientGetResult((bool?)reply["found"] ?? false, (string?)reply["value"])
        {
            Sequence = (long?)reply["sequence"],
            PublicKey = reply["k"] is JsonNode k ? Convert.FromHexString((string)k!) : null,
            Signature = reply["sig"] is JsonNode sig ? Convert.FromHexString((string)sig!) : null,
            StoredLocally = (bool?)reply["stored_locally"] ?? false,
            SignaturesValid = (int?)reply["signatures_valid"] ?? 0,
            TimedOut = (bool?)reply["timed_out"] ?? false,
        };
    }
}

/// <summary>What a client's <c>put</c> reported.</summary>
/// <param name="Ok">True when at least one node answered the put.</param>
/// <param name="Target">The item's target, as the client computed it.</param>
/// <param name="SentTo">How many nodes answered the put (libtorrent: stored it).</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record ClientPutResult(bool Ok, NodeId? Target, int SentTo, string? Error)
{
    /// <summary>A mutable put's public key (bittorrent-dht).</summary>
    public byte[]? PublicKey { get; init; }
}

/// <summary>What a client's <c>get</c> found.</summary>
/// <param name="Found">True when the client's lookup returned an item it accepted.</param>
/// <param name="Value">The value's bytes as text (it is a byte string of UTF-8), or null.</param>
public sealed record ClientGetResult(bool Found, string? Value)
{
    /// <summary>A mutable item's sequence number.</summary>
    public long? Sequence { get; init; }

    /// <summary>A mutable item's public key.</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>A mutable item's signature.</summary>
    public byte[]? Signature { get; init; }

    /// <summary>bittorrent-dht: the client held the item itself before the lookup (so it was not necessarily read from the network).</summary>
    public bool StoredLocally { get; init; }

    /// <summary>bittorrent-dht: how many signatures its ed25519 check accepted during the lookup.</summary>
    public int SignaturesValid { get; init; }

    /// <summary>True when the lookup did not end in time.</summary>
    public bool TimedOut { get; init; }
}

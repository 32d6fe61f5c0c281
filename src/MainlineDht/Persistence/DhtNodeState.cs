using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using MainlineDht.Protocol;

namespace MainlineDht;

/// <summary>
/// What a node keeps across restarts: its id and the nodes of its routing tables (IPv4 in
/// <c>nodes</c>, IPv6 in <c>nodes6</c>) with the time each was last seen. Stored as a small JSON
/// document, written atomically (a temporary file renamed over the old one), so that a crash
/// mid-write never leaves a half-written state. A file written before <c>nodes6</c> existed reads
/// as one with no IPv6 nodes.
/// </summary>
/// <remarks>A public type of the node's surface: it stays in the root namespace (the file is in Persistence/).</remarks>
public sealed record DhtNodeState
{
    /// <summary>The value of the <c>format</c> field that identifies our state files.</summary>
    public const string FormatName = "mainline-dht-state";

    /// <summary>The version of the format this library writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The most nodes a state file may hold per address family (a routing table holds at most 160 × 8).</summary>
    public const int MaxNodes = 2048;

    /// <summary>The most bootstrap names a state file keeps.</summary>
    public const int MaxRouters = 64;

    /// <summary>The node's id.</summary>
    public NodeId NodeId { get; init; }

    /// <summary>The IPv4 routing table's nodes, each with the time it was last seen (<c>nodes</c>).</summary>
    public IReadOnlyList<SavedNode> Nodes { get; init; } = [];

    /// <summary>The IPv6 routing table's nodes (BEP 32), each with the time it was last seen (<c>nodes6</c>).</summary>
    public IReadOnlyList<SavedNode> Nodes6 { get; init; } = [];

    /// <summary>The bootstrap names (<c>host:port</c>) that answered the last bootstrap that tried any (<c>routers</c>): tried first next time.</summary>
    public IReadOnlyList<string> Routers { get; init; } = [];

    /// <summary>When the state was saved.</summary>
    public DateTimeOffset SavedAt { get; init; }

    /// <summary>Writes the state to <paramref name="path"/> atomically.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var document = new StateDocument
        {
            Format = FormatName,
            Version = CurrentVersion,
            NodeId = NodeId.ToString(),
            SavedAt = SavedAt,
            Nodes = ToDocument(Nodes),
            Nodes6 = Nodes6.Count == 0 ? null : ToDocument(Nodes6),
            Routers = Routers.Count == 0 ? null : [.. Routers.Take(MaxRouters)],
        };

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, document, StateJsonContext.Default.StateDocument);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Reads a state file. Returns false with a reason when the file is not a valid state file of
    /// ours (corrupt, foreign, or of another version); never throws for bad content.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static bool TryLoad(string path, out DhtNodeState? state, out string? problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        state = null;
        byte[] bytes = File.ReadAllBytes(path);
        StateDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, StateJsonContext.Default.StateDocument);
        }
        catch (JsonException e)
        {
            problem = $"not a JSON state file ({e.Message})";
            return false;
        }

        if (document is null || document.Format != FormatName)
        {
            problem = $"not a {FormatName} file";
            return false;
        }

        if (document.Version != CurrentVersion)
        {
            problem = $"state file version {document.Version} is not supported (this library reads version {CurrentVersion})";
            return false;
        }

        if (!NodeId.TryParse(document.NodeId, out NodeId id))
        {
            problem = "the node id is not 40 hexadecimal digits";
            return false;
        }

        if (!TryReadNodes(document.Nodes, "node", out List<SavedNode> nodes, out problem)
            || !TryReadNodes(document.Nodes6, "IPv6 node", out List<SavedNode> nodes6, out problem))
        {
            return false;
        }

        List<string> routers = [.. (document.Routers ?? []).Where(r => HostEndPoint.TryParse(r, out _)).Take(MaxRouters)];
        state = new DhtNodeState { NodeId = id, Nodes = nodes, Nodes6 = nodes6, Routers = routers, SavedAt = document.SavedAt };
        problem = null;
        return true;
    }

    private static List<StateNode> ToDocument(IReadOnlyList<SavedNode> nodes) =>
        nodes.Take(MaxNodes).Select(n => new StateNode { Id = n.Id.ToString(), EndPoint = n.EndPoint.ToString(), LastSeen = n.LastSeen }).ToList();

    private static bool TryReadNodes(List<StateNode>? list, string what, out List<SavedNode> nodes, out string? problem)
    {
        nodes = [];
        problem = null;
        foreach (StateNode node in list ?? [])
        {
            if (nodes.Count >= MaxNodes)
            {
                problem = $"more than {MaxNodes} {what}s";
                return false;
            }

            if (!NodeId.TryParse(node.Id, out NodeId nodeId) || !IPEndPoint.TryParse(node.EndPoint ?? string.Empty, out IPEndPoint? endPoint) || endPoint.Port == 0)
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"{what} {nodes.Count} has an invalid id or endpoint");
                return false;
            }

            nodes.Add(new SavedNode(nodeId, endPoint, node.LastSeen));
        }

        return true;
    }
}

/// <summary>A node remembered in a state file.</summary>
/// <param name="Id">Its id.</param>
/// <param name="EndPoint">Its endpoint.</param>
/// <param name="LastSeen">When it last answered or queried us.</param>
public readonly record struct SavedNode(NodeId Id, IPEndPoint EndPoint, DateTimeOffset LastSeen);

internal sealed class StateDocument
{
    [JsonPropertyName("format")]
    public string? Format { get; set; }

    [JsonPropertyName("version")]
    public int Version { get; set; }

    [JsonPropertyName("node_id")]
    public string? NodeId { get; set; }

    [JsonPropertyName("saved_at")]
    public DateTimeOffset SavedAt { get; set; }

    [JsonPropertyName("nodes")]
    public List<StateNode>? Nodes { get; set; }

    [JsonPropertyName("nodes6")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<StateNode>? Nodes6 { get; set; }

    [JsonPropertyName("routers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Routers { get; set; }
}

internal sealed class StateNode
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("endpoint")]
    public string? EndPoint { get; set; }

    [JsonPropertyName("last_seen")]
    public DateTimeOffset LastSeen { get; set; }
}

[JsonSerializable(typeof(StateDocument))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class StateJsonContext : JsonSerializerContext;

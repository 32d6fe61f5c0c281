namespace MainlineDht.Protocol;

/// <summary>The query methods this library knows.</summary>
public enum KrpcMethod
{
    /// <summary>A method this library does not know (see <see cref="UnknownQuery"/>).</summary>
    Unknown = 0,
    /// <summary>BEP 5 <c>ping</c>.</summary>
    Ping,
    /// <summary>BEP 5 <c>find_node</c>.</summary>
    FindNode,
    /// <summary>BEP 5 <c>get_peers</c>.</summary>
    GetPeers,
    /// <summary>BEP 5 <c>announce_peer</c>.</summary>
    AnnouncePeer,
    /// <summary>BEP 51 <c>sample_infohashes</c>.</summary>
    SampleInfohashes,
    /// <summary>BEP 44 <c>get</c>.</summary>
    Get,
    /// <summary>BEP 44 <c>put</c>.</summary>
    Put,
}

/// <summary>The address families a BEP 32 <c>want</c> list asks for.</summary>
[Flags]
public enum WantFamilies
{
    /// <summary>No <c>want</c> key: the replier's own family is implied.</summary>
    None = 0,
    /// <summary><c>n4</c>: IPv4 nodes in <c>nodes</c>.</summary>
    IPv4 = 1,
    /// <summary><c>n6</c>: IPv6 nodes in <c>nodes6</c>.</summary>
    IPv6 = 2,
}

/// <summary>Wire names of the KRPC methods.</summary>
internal static class KrpcMethodNames
{
    /// <summary>The method's name on the wire, e.g. <c>find_node</c>.</summary>
    public static ReadOnlySpan<byte> GetName(KrpcMethod method) => method switch
    {
        KrpcMethod.Ping => "ping"u8,
        KrpcMethod.FindNode => "find_node"u8,
        KrpcMethod.GetPeers => "get_peers"u8,
        KrpcMethod.AnnouncePeer => "announce_peer"u8,
        KrpcMethod.SampleInfohashes => "sample_infohashes"u8,
        KrpcMethod.Get => "get"u8,
        KrpcMethod.Put => "put"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "An unknown method has no fixed name."),
    };

    /// <summary>The method a wire name stands for, or <see cref="KrpcMethod.Unknown"/>.</summary>
    public static KrpcMethod Parse(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when name.SequenceEqual("get"u8) => KrpcMethod.Get,
        3 when name.SequenceEqual("put"u8) => KrpcMethod.Put,
        4 when name.SequenceEqual("ping"u8) => KrpcMethod.Ping,
        9 when name.SequenceEqual("find_node"u8) => KrpcMethod.FindNode,
        9 when name.SequenceEqual("get_peers"u8) => KrpcMethod.GetPeers,
        13 when name.SequenceEqual("announce_peer"u8) => KrpcMethod.AnnouncePeer,
        17 when name.SequenceEqual("sample_infohashes"u8) => KrpcMethod.SampleInfohashes,
        _ => KrpcMethod.Unknown,
    };
}

/// <summary>One counter per <see cref="KrpcMethod"/>, inline in the object that counts (no array a node).</summary>
[System.Runtime.CompilerServices.InlineArray(Length)]
internal struct PerMethodCounts
{
    /// <summary>How many methods there are: a test checks it against the enum.</summary>
    public const int Length = 8;

    private long _element;
}

namespace MainlineDht.Protocol;

/// <summary>
/// The byte-string keys of a response that a query type requires even when there is nothing to
/// send in them: BEP 5 <c>nodes</c> (find_node, get_peers), BEP 32 <c>nodes6</c> (when
/// <c>want</c> asked for n6) and BEP 51 <c>samples</c>. Such a key is written as an empty string.
/// </summary>
[Flags]
public enum KrpcResponseKeys
{
    /// <summary>No key beyond those with a non-empty value.</summary>
    None = 0,

    /// <summary><c>nodes</c>.</summary>
    Nodes = 1 << 0,

    /// <summary><c>nodes6</c>.</summary>
    Nodes6 = 1 << 1,

    /// <summary><c>samples</c>.</summary>
    Samples = 1 << 2,
}

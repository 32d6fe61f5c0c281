namespace MainlineDht.Routing;

/// <summary>How much a routing table entry is trusted, as BEP 5 defines it.</summary>
public enum NodeState
{
    /// <summary>
    /// The node answered one of our queries within the last 15 minutes, or it has answered us
    /// before and queried us within the last 15 minutes.
    /// </summary>
    Good,

    /// <summary>The node has been silent for 15 minutes or more; a ping would tell whether it is alive.</summary>
    Questionable,

    /// <summary>The node failed to answer our queries several times in a row (2 by default).</summary>
    Bad,
}

namespace MainlineDht.PeerWire;

/// <summary>How the exchange with one peer ended.</summary>
public enum PeerOutcome
{
    /// <summary>The peer gave what was asked (verified).</summary>
    Succeeded,
    /// <summary>The peer broke the protocol or ended the exchange early (see the report's <c>Error</c>).</summary>
    ProtocolError,
    /// <summary>No TCP connection could be made (refused, unreachable, reset during connect).</summary>
    Unreachable,
    /// <summary>The peer did not finish within the peer timeout.</summary>
    TimedOut,
    /// <summary>Stopped because another peer already gave it, or the caller cancelled.</summary>
    Cancelled,
    /// <summary>Not contacted: the address is not allowed (<see cref="PeerWireOptions.LoopbackOnly"/>).</summary>
    Refused,
}

using System.Net;
using System.Net.Sockets;
using MainlineDht.Node;
using MainlineDht.Protocol;

namespace MainlineDht;

/// <summary>What <see cref="DhtNode.IdChanged"/> tells: the id the node had, the one it took, and why.</summary>
/// <param name="OldId">The id before.</param>
/// <param name="NewId">The id now: the one BEP 42 allows for <paramref name="ExternalAddress"/>.</param>
/// <param name="ExternalAddress">Our external address as replies from several distinct /24s (/64s) agree on it.</param>
public sealed record NodeIdChange(NodeId OldId, NodeId NewId, IPAddress ExternalAddress);

// BEP 42 in full: once the external-address vote settles, the node takes the id BEP 42 allows for
// that address (libtorrent derives it from the IPv4 address when the node has one), re-buckets its
// tables, saves it, and derives again when the vote settles on another address.
public sealed partial class DhtNode
{
    /// <summary>An id change to announce once the gate is released (the event, the state file, a lookup of the new id).</summary>
    private NodeIdChange? _pendingIdChange;

    /// <summary>
    /// Raised after the node took a new id (BEP 42: the id its external address allows; see
    /// <see cref="Id"/>), on the thread that received the reply that settled the vote; the state file,
    /// when there is one, has been written with it. The change is logged (Information); a handler
    /// that throws is logged as a warning (<see cref="DhtNodeOptions.LoggerFactory"/>).
    /// </summary>
    public event EventHandler<NodeIdChange>? IdChanged;

    /// <summary>
    /// Under the gate: the vote of <paramref name="engine"/> settled on <paramref name="address"/>.
    /// The node keeps its id when it was given (<see cref="DhtNodeOptions.NodeId"/>), when the
    /// address is one BEP 42 exempts (loopback, private, link-local) or cannot be ours (junk), when
    /// the id is already valid for it, and when the vote is the IPv6 engine's while IPv4 runs (the
    /// IPv4 address decides, as in libtorrent). Otherwise it derives the id (keeping its random byte)
    /// and every engine re-buckets its table around it.
    /// </summary>
    private void OnExternalAddressSettled(DhtEngine engine, IPAddress address)
    {
        if (_options.NodeId is not null
            || (engine.Family == AddressFamily.InterNetworkV6 && EngineOf(AddressFamily.InterNetwork) is not null)
            || SecureNodeId.IsExempt(address)
            || IpRanges.IsJunk(IpRanges.Classify(address))
            || SecureNodeId.IsValid(Id, address))
        {
            return;
        }

        NodeId old = Id;
        NodeId id = SecureNodeId.Derive(old, address);
        _context.ChangeId(id);
        foreach (DhtEngine e in _engines)
        {
            e.Routing.ChangeLocalId(id);
        }

        Volatile.Write(ref _pendingIdChange, new NodeIdChange(old, id, address));
    }

    /// <summary>Outside the gate, after a datagram: announces an id change, saves it, and looks the new id up (its neighbourhood is new).</summary>
    private void DeliverIdChange()
    {
        if (Volatile.Read(ref _pendingIdChange) is null || Interlocked.Exchange(ref _pendingIdChange, null) is not NodeIdChange change)
        {
            return;
        }

        if (_context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
        {
            Diagnostics.Log.NodeIdChanged(_context.Logger, change.OldId.ToString(), change.NewId.ToString(), change.ExternalAddress);
        }

        SaveState();
        _ = _lookups.FindNodeAsync(change.NewId, null, LifetimeToken);
        try
        {
            IdChanged?.Invoke(this, change);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Diagnostics.Log.IdHandlerFailed(_context.Logger, e, e.Message);
        }
    }
}

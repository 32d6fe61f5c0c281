using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Bencode;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;
using MainlineDht.Storage;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>Replies are kept under this size: <c>values</c> and samples are cut to fit.</summary>
    private const int ReplyBudget = 1200;

    private const int MaxSamples = 40;

    private static readonly TimeSpan SampleInterval = TimeSpan.FromMinutes(5);

    private void OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        // Decoding touches no state: it runs before the gate is taken.
        bool decoded = KrpcCodec.TryDecode(datagram, out KrpcMessage? message, out KrpcDecodeError error);
        string? warning = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _counters.DatagramsReceived++;
            try
            {
                Process(decoded, message, error, datagram, source);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug in a handler must not stop the node: it is counted, and the first fault at each
                // site is reported, once the gate is released (the callback must not run under it).
                _counters.HandlerFaults++;
                warning = _faultSites.FirstReport(e, source);
            }
        }

        if (warning is not null)
        {
            ReportFault(warning);
        }
    }

    private void Process(bool decoded, KrpcMessage? message, KrpcDecodeError error, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!decoded)
        {
            _counters.Malformed++;
            if (error.ShouldReply && !_options.ReadOnly && _rateLimiter.TryAcquire(source.Address))
            {
                SendError(error.TransactionId.Span, error.ReplyCode!.Value, error.Reason, source);
            }

            return;
        }

        if (message is KrpcQuery query)
        {
            if (_options.ReadOnly)
            {
                return; // BEP 43: a read-only node answers nothing.
            }

            if (!_rateLimiter.TryAcquire(source.Address))
            {
                _counters.RateLimited++;
                return;
            }

            HandleQuery(query, source);
        }
        else
        {
            HandleReply(message!, datagram, source);
        }
    }

    private void HandleQuery(KrpcQuery query, IPEndPoint source)
    {
        _counters.QueriesReceived[(int)query.Method]++;
        DateTimeOffset now = _time.GetUtcNow();
        switch (query)
        {
            case PingQuery:
                SendResponse(query, source, default);
                break;

            case FindNodeQuery findNode:
                SendResponse(query, source, WithNodes(default, findNode.Target, findNode.Want, source));
                break;

            case GetPeersQuery getPeers:
                HandleGetPeers(getPeers, source, now);
                break;

            case AnnouncePeerQuery announce:
                HandleAnnounce(announce, source, now);
                break;

            case SampleInfohashesQuery sample:
                HandleSampleInfohashes(sample, source);
                break;

            case GetQuery get:
                // No BEP 44 item is stored here (yet): the node answers get and put as a BEP 5 node
                // without BEP 44 does, one story for both. get carries a target, so it is answered like
                // find_node (as any unknown query with a target): a get traversal continues through us,
                // but no write token is handed out, since nothing may be put here; put gets 204 below.
                // A token with no storage behind it would invite puts that are then refused or lost.
                SendResponse(query, source, WithNodes(default, get.Target, get.Want, source));
                break;

            case UnknownQuery unknown when (unknown.Target ?? unknown.InfoHash) is NodeId target:
                // Forward compatibility (as libtorrent does): an unknown query with a target is answered like find_node.
                SendResponse(query, source, WithNodes(default, target, unknown.Want, source));
                break;

            default:
                SendError(query.TransactionId.Span, KrpcErrorCode.MethodUnknown, "method unknown", source);
                break;
        }

        // After the answer, so that verifying an unknown querier never delays its reply.
        if (!query.ReadOnly && query.Id != Id)
        {
            RoutingOnQuery(query.Id, source, now);
        }
    }

    private void HandleGetPeers(GetPeersQuery query, IPEndPoint source, DateTimeOffset now)
    {
        AddressFamily family = CompactFormat.IsV4(source.Address) ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        var fields = new ReplyFields { Token = WriteToken(source, now) };
        if (query.Scrape)
        {
            (fields.SeedsFilter, fields.PeersFilter) = ScrapeFilters(query.InfoHash, now);
        }

        fields = WithNodes(fields, query.InfoHash, query.Want, source);
        int entry = BencodeWriter.StringSize(family == AddressFamily.InterNetwork ? CompactFormat.PeerV4Size : CompactFormat.PeerV6Size);
        int maxValues = Math.Max(0, (ReplyBudget - fields.EstimatedSize - 12) / entry);
        fields.Values = WriteValues(query.InfoHash, maxValues, family, query.NoSeed, now);
        SendResponse(query, source, fields);
    }

    private void HandleAnnounce(AnnouncePeerQuery query, IPEndPoint source, DateTimeOffset now)
    {
        if (!_tokens.Validate(source.Address, query.Token.Span, now))
        {
            SendError(query.TransactionId.Span, KrpcErrorCode.Protocol, "bad token", source);
            return;
        }

        int port = query.ImpliedPort ? source.Port : query.Port;
        if (port is < 1 or > 65535)
        {
            SendError(query.TransactionId.Span, KrpcErrorCode.Protocol, "invalid port", source);
            return;
        }

        switch (StorePeer(query.InfoHash, new IPEndPoint(source.Address, port), query.Seed, now))
        {
            case AnnounceOutcome.RefusedStoreFull:
                // 202 server error: the refusal is ours, not the announcer's mistake; it still has
                // the other closest nodes to announce to. Counted only as the error sent.
                SendError(query.TransactionId.Span, KrpcErrorCode.Server, "store full", source);
                return;

            case AnnounceOutcome.RefusedInvalidPeer:
                SendError(query.TransactionId.Span, KrpcErrorCode.Protocol, "invalid peer", source);
                return;
        }

        _counters.AnnouncesAccepted++;
        SendResponse(query, source, default);
    }

    private void HandleSampleInfohashes(SampleInfohashesQuery query, IPEndPoint source)
    {
        ReplyFields fields = WithNodes(new ReplyFields { Keys = KrpcResponseKeys.Samples }, query.Target, query.Want, source);
        int room = Math.Clamp((ReplyBudget - fields.EstimatedSize - 40) / NodeId.Size, 0, MaxSamples);
        int count = SampleInfoHashes(_scratch.Samples.AsSpan(0, room * NodeId.Size));
        fields.Samples = _scratch.Samples.AsMemory(0, count * NodeId.Size);
        fields.Num = StoredInfoHashCount;
        fields.Interval = (long)SampleInterval.TotalSeconds;
        SendResponse(query, source, fields);
    }

    /// <summary>
    /// Adds the K closest nodes of the families the querier wants (BEP 32; default: its own family).
    /// The key of each wanted family is written even when empty: the query types that return nodes require it.
    /// </summary>
    private ReplyFields WithNodes(ReplyFields fields, NodeId target, WantFamilies want, IPEndPoint source)
    {
        if (want == WantFamilies.None)
        {
            want = CompactFormat.IsV4(source.Address) ? WantFamilies.IPv4 : WantFamilies.IPv6;
        }

        int count = ClosestNodes(target, _scratch.Closest);
        if ((want & WantFamilies.IPv4) != 0)
        {
            fields.Nodes = WriteNodes(count, v4: true, _scratch.Nodes);
            fields.Keys |= KrpcResponseKeys.Nodes;
        }

        if ((want & WantFamilies.IPv6) != 0)
        {
            fields.Nodes6 = WriteNodes(count, v4: false, _scratch.Nodes6);
            fields.Keys |= KrpcResponseKeys.Nodes6;
        }

        return fields;
    }

    private ReadOnlyMemory<byte> WriteNodes(int count, bool v4, byte[] buffer)
    {
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            NodeEntry node = _scratch.Closest[i];
            if (CompactFormat.IsV4(node.EndPoint.Address) == v4)
            {
                written += CompactFormat.WriteNode(new NodeInfo(node.Id, node.EndPoint), buffer.AsSpan(written));
            }
        }

        return buffer.AsMemory(0, written);
    }

    private ReadOnlyMemory<byte> WriteToken(IPEndPoint source, DateTimeOffset now)
    {
        int length = _tokens.WriteToken(source.Address, _scratch.Token, now);
        return _scratch.Token.AsMemory(0, length);
    }

    private void SendResponse(KrpcQuery query, IPEndPoint destination, in ReplyFields fields)
    {
        int ipLength = CompactFormat.WritePeer(destination, _scratch.Ip);
        var reply = new KrpcResponse
        {
            Id = Id,
            Token = fields.Token,
            Nodes = fields.Nodes,
            Nodes6 = fields.Nodes6,
            Values = fields.Values,
            SeedsFilter = fields.SeedsFilter,
            PeersFilter = fields.PeersFilter,
            Samples = fields.Samples,
            Num = fields.Num,
            Interval = fields.Interval,
            IncludedKeys = fields.Keys,
            TransactionId = query.TransactionId,
            ExternalAddress = _scratch.Ip.AsMemory(0, ipLength),
            Version = _options.Version,
        };
        byte[] send = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        try
        {
            if (KrpcCodec.TryEncode(reply, send, out int written) && _transport.TrySend(send.AsSpan(0, written), destination))
            {
                _counters.Answered++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(send);
        }
    }

    /// <summary>Sends a KRPC error; like every reply it carries the requester's address (BEP 42 <c>ip</c>).</summary>
    private void SendError(ReadOnlySpan<byte> transactionId, KrpcErrorCode code, string text, IPEndPoint destination)
    {
        Span<byte> message = stackalloc byte[64];
        int length = System.Text.Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, message.Length)), message);
        int ipLength = CompactFormat.WritePeer(destination, _scratch.Ip);
        byte[] send = ArrayPool<byte>.Shared.Rent(SendBufferSize);
        try
        {
            if (KrpcCodec.TryEncodeError(transactionId, code, message[..length], _options.Version.Span, _scratch.Ip.AsSpan(0, ipLength), send, out int written)
                && _transport.TrySend(send.AsSpan(0, written), destination))
            {
                _counters.ErrorSent(code);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(send);
        }
    }

    private void HandleReply(KrpcMessage message, ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!_transactions.TryTake(message.TransactionId.Span, source, out PendingQuery pending))
        {
            _counters.Unmatched++;
            return;
        }

        pending.Timer?.Dispose();
        pending.Cancellation.Unregister();
        TimeSpan rtt = _time.GetElapsedTime(pending.SentTimestamp);
        _roundTrips.Add(rtt);

        // The transport reuses its buffer: the awaiting caller gets a message over its own copy.
        KrpcCodec.TryDecode(datagram.ToArray(), out KrpcMessage? owned, out _);
        if (owned is KrpcResponse response)
        {
            _counters.Responses++;
            if (response.Id != Id)
            {
                RoutingOnReply(response.Id, source, rtt, _time.GetUtcNow());
            }

            if (response.GetExternalEndPoint() is IPEndPoint external)
            {
                _externalAddress.Add(source.Address, external.Address);
            }

            pending.Completion.TrySetResult(new RpcResult(RpcStatus.Response, source, response, null, rtt));
        }
        else
        {
            _counters.Errors++;
            pending.Completion.TrySetResult(new RpcResult(RpcStatus.Error, source, null, owned as KrpcError, rtt));
        }
    }

    /// <summary>The fields of a reply being built; everything else a reply carries is the node's own.</summary>
    private struct ReplyFields
    {
        public ReadOnlyMemory<byte> Token, Nodes, Nodes6, SeedsFilter, PeersFilter, Samples;
        public CompactPeerList Values;
        public long? Num, Interval;
        public KrpcResponseKeys Keys;

        public readonly int EstimatedSize =>
            100 + Token.Length + Nodes.Length + Nodes6.Length + SeedsFilter.Length + PeersFilter.Length + Samples.Length;
    }
}

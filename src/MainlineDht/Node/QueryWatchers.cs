using System.Threading.Channels;

namespace MainlineDht.Node;

/// <summary>
/// The subscribers to what a node hears (<see cref="DhtNode.WatchQueriesAsync"/>): one bounded channel
/// each. The handlers publish under the gate with <c>TryWrite</c>, which never blocks and never runs
/// a reader's code (continuations are asynchronous); a full channel drops its oldest event, counted.
/// The node holds an instance only while someone watches: with none, a handler pays one null check.
/// </summary>
internal sealed class QueryWatchers
{
    private readonly NodeCounters _counters;
    private Channel<HeardQuery>[] _channels = [];

    public QueryWatchers(NodeCounters counters) => _counters = counters;

    /// <summary>Whether anyone watches (under the gate).</summary>
    public bool IsEmpty => _channels.Length == 0;

    /// <summary>A new subscriber's channel of <paramref name="capacity"/> events (under the gate).</summary>
    public Channel<HeardQuery> Add(int capacity)
    {
        // The drop callback runs inside TryWrite, so under the gate, where the counters are kept.
        Channel<HeardQuery> channel = Channel.CreateBounded<HeardQuery>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = true,
                AllowSynchronousContinuations = false,
            },
            _ => _counters.HeardQueriesDropped++);
        _channels = [.. _channels, channel];
        return channel;
    }

    /// <summary>Removes a subscriber (under the gate).</summary>
    public void Remove(Channel<HeardQuery> channel) => _channels = [.. _channels.Where(c => c != channel)];

    /// <summary>Hands <paramref name="heard"/> to every subscriber (under the gate).</summary>
    public void Publish(HeardQuery heard)
    {
        foreach (Channel<HeardQuery> channel in _channels)
        {
            channel.Writer.TryWrite(heard);
        }
    }

    /// <summary>Ends every subscription: the node stopped.</summary>
    public void CompleteAll()
    {
        foreach (Channel<HeardQuery> channel in _channels)
        {
            channel.Writer.TryComplete();
        }
    }
}

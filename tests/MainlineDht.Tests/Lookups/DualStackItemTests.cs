using System.Net;
using System.Net.Sockets;
using MainlineDht.Items;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Lookups;

/// <summary>BEP 44 over both families (BEP 32) on real UDP: our nodes on 127.0.7.x and ::1 at once.</summary>
[NonParallelizable]
public sealed class DualStackItemTests : GuardedTest
{
    private const int SwarmSize = 12;
    private readonly List<DhtNode> _nodes = [];

    [TearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }

    private async Task<DhtNode> StartAsync(int index, IEnumerable<IPEndPoint> bootstrap)
    {
        DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(new IPAddress([127, 0, 7, (byte)(index + 1)]), 0),
            BindEndPointV6 = new IPEndPoint(IPAddress.IPv6Loopback, 0),
            BootstrapNodes = [.. bootstrap.Select(b => b.ToString())],
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueriesPerSecondPerIp = 0, // the IPv6 side of every node is ::1
            QueryTimeout = TimeSpan.FromSeconds(2),
            ItemSignatureVerifier = new FakeItemSignatures(),
        });
        _nodes.Add(node);
        return node;
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task An_item_is_put_to_the_closest_of_each_family_and_read_back_from_either()
    {
        DhtNode first = await StartAsync(0, []);
        for (int i = 1; i < SwarmSize; i++)
        {
            await StartAsync(i, [first.LocalEndPoint, first.LocalEndPointV6!]);
        }

        foreach (DhtNode node in _nodes.Skip(1))
        {
            await node.JoinAsync();
        }

        ItemPutResult put = await _nodes[3].PutImmutableAsync("on both families");
        Assert.That(put.Accepted.Select(n => n.EndPoint.AddressFamily).Distinct(), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }),
            "put to the closest of each family");
        Assert.That(put.Refused, Is.Empty);

        ItemLookupResult got = await _nodes[9].GetItemAsync(put.Item.Target);
        Assert.That(got.Found, Is.True);
        Assert.That(Text(got.Item!.Value), Is.EqualTo("16:on both families"));

        byte[] key = new byte[32];
        byte[] value = Latin1("6:signed");
        ItemPutResult mutable = await _nodes[5].PutMutableAsync(DhtItem.Mutable(key, [], 3, value, FakeItemSignatures.SignItem(key, [], 3, value)));
        Assert.That(mutable.Accepted.Select(n => n.EndPoint.AddressFamily).Distinct().Count(), Is.EqualTo(2));
        ItemLookupResult latest = await _nodes[10].GetItemAsync(key, default);
        Assert.That((latest.Item?.Sequence, latest.Item is null ? null : Text(latest.Item.Value)), Is.EqualTo(((long?)3, "6:signed")));
    }
}

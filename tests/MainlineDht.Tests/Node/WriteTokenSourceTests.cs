using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>
/// Write token secrets: reproducible when the node is given a <see cref="DhtNodeOptions.RandomSeed"/>
/// (tests and simulations send the same bytes for a seed), cryptographically random otherwise.
/// </summary>
public sealed class WriteTokenSourceTests : GuardedTest
{
    private static readonly NodeId FixedId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");

    private static async Task<byte[]> TokenFromAsync(int? seed)
    {
        await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(IPAddress.Parse("127.0.0.31"), 0),
            SendPolicy = NetworkGuard.Policy,
            UsePublicRouters = false,
            NodeId = FixedId,
            RandomSeed = seed,
        });
        using var client = new RawKrpcClient(IPAddress.Parse("127.0.0.32"));
        var query = new GetPeersQuery { Id = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff"), InfoHash = FixedId, TransactionId = "tk"u8.ToArray() };
        var reply = (KrpcResponse)client.Exchange(KrpcCodec.Encode(query), node.LocalEndPoint);
        return reply.Token.ToArray();
    }

    [Test]
    public async Task A_seeded_node_gives_the_same_token_every_run()
    {
        byte[] first = await TokenFromAsync(5);
        byte[] second = await TokenFromAsync(5);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(first, Has.Length.EqualTo(8));
    }

    [Test]
    public async Task Without_a_seed_the_secrets_differ_every_run()
    {
        byte[] first = await TokenFromAsync(null);
        byte[] second = await TokenFromAsync(null);
        Assert.That(second, Is.Not.EqualTo(first));
    }
}

// Finds peers for an infohash through the DHT and prints one ip:port per line.
// usage: FindPeers --bootstrap host:port [--bootstrap host:port ...] [--bind IP] <infohash-hex>
using System.Net;
using MainlineDht;
using MainlineDht.Protocol;
using MainlineDht.Transport;

var bootstrap = new List<string>();
IPAddress bind = IPAddress.Loopback;
string? hex = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--bootstrap" && i + 1 < args.Length) bootstrap.Add(args[++i]);
    else if (args[i] == "--bind" && i + 1 < args.Length) bind = IPAddress.Parse(args[++i]);
    else hex = args[i];
}

if (bootstrap.Count == 0 || !NodeId.TryParse(hex, out NodeId infoHash))
{
    Console.Error.WriteLine("usage: FindPeers --bootstrap host:port [--bind IP] <infohash as 40 hex digits>");
    return 2;
}

await using DhtNode node = await DhtNode.StartAsync(new DhtNodeOptions
{
    BindEndPoint = new IPEndPoint(bind, 0),
    BootstrapNodes = bootstrap,
    UsePublicRouters = false,
    SendPolicy = IPAddress.IsLoopback(bind) ? SendPolicy.LoopbackOnly() : SendPolicy.AllowAll,
});
await node.JoinAsync();

int found = 0;
await foreach (IPEndPoint peer in node.GetPeersAsync(infoHash))
{
    Console.WriteLine(peer);
    found++;
}

return found > 0 ? 0 : 1;

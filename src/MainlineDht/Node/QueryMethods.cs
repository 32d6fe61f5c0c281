using MainlineDht.Node.Handlers;
using MainlineDht.Protocol;

namespace MainlineDht.Node;

/// <summary>
/// The query methods a node serves: one line per <see cref="KrpcMethod"/> names its handler. The
/// wire name and the codec case are the protocol's (<see cref="KrpcMethodNames"/>, <see cref="KrpcCodec"/>);
/// counters are arrays indexed by <see cref="KrpcMethod"/>. A new method is a codec case, a handler
/// and a line here.
/// </summary>
internal static class QueryMethods
{
    /// <summary>How many methods there are (the length of <see cref="PerMethodCounts"/>).</summary>
    public const int Count = PerMethodCounts.Length;

    /// <summary>The handlers, indexed by <see cref="KrpcMethod"/>. Handlers are stateless: what they use comes with the <see cref="ReplyBuilder"/>.</summary>
    private static readonly IQueryHandler[] Handlers = Build<IQueryHandler>(method => method switch
    {
        KrpcMethod.Unknown => UnknownQueryHandler.Instance,
        KrpcMethod.Ping => PingHandler.Instance,
        KrpcMethod.FindNode => FindNodeHandler.Instance,
        KrpcMethod.GetPeers => GetPeersHandler.Instance,
        KrpcMethod.AnnouncePeer => AnnouncePeerHandler.Instance,
        KrpcMethod.SampleInfohashes => SampleInfohashesHandler.Instance,
        KrpcMethod.Get => GetHandler.Instance,
        KrpcMethod.Put => PutHandler.Instance,
        _ => throw new InvalidOperationException($"No handler is registered for {method}."),
    });

    /// <summary>The names statistics use: the wire name, <c>unknown</c> for methods we do not know.</summary>
    private static readonly string[] Names = Build<string>(method => method == KrpcMethod.Unknown
        ? "unknown"
        : System.Text.Encoding.ASCII.GetString(KrpcMethodNames.GetName(method)));

    public static IQueryHandler HandlerOf(KrpcMethod method) => Handlers[(int)method];

    public static string Name(KrpcMethod method) => Names[(int)method];

    private static T[] Build<T>(Func<KrpcMethod, T> create)
    {
        var table = new T[Count];
        foreach (KrpcMethod method in Enum.GetValues<KrpcMethod>())
        {
            table[(int)method] = create(method);
        }

        return table;
    }
}

using System.Net;
using MainlineDht.Bencode;

namespace MainlineDht.Protocol;

/// <summary>
/// The <c>values</c> of a <c>get_peers</c> reply: a bencoded list of compact peers (6 or 18 bytes
/// each). Held as the raw bencoded list so that decoding copies nothing; entries of another length
/// are skipped when enumerating.
/// </summary>
public readonly struct CompactPeerList : IEquatable<CompactPeerList>
{
    private CompactPeerList(ReadOnlyMemory<byte> encoded, int count)
    {
        Encoded = encoded;
        Count = count;
    }

    /// <summary>The bencoded list (<c>l6:...e</c>), or empty when there is no list.</summary>
    public ReadOnlyMemory<byte> Encoded { get; }

    /// <summary>How many strings the list holds.</summary>
    public int Count { get; }

    /// <summary>True when the reply carried no <c>values</c> key.</summary>
    public bool IsEmpty => Encoded.IsEmpty;

    /// <summary>Wraps an already validated bencoded list of byte strings.</summary>
    internal static CompactPeerList FromValidatedList(ReadOnlyMemory<byte> encoded, int count) => new(encoded, count);

    /// <summary>Builds the list from endpoints.</summary>
    public static CompactPeerList Create(IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        IPEndPoint[] all = [.. peers];
        int size = 2;
        foreach (IPEndPoint peer in all)
        {
            size += BencodeWriter.StringSize(CompactFormat.PeerSize(peer));
        }

        byte[] buffer = new byte[size];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartList();
        Span<byte> entry = stackalloc byte[CompactFormat.PeerV6Size];
        foreach (IPEndPoint peer in all)
        {
            writer.WriteString(entry[..CompactFormat.WritePeer(peer, entry)]);
        }

        writer.WriteEnd();
        return new CompactPeerList(buffer, all.Length);
    }

    /// <summary>The raw compact entries, in order.</summary>
    public Enumerator GetEnumerator() => new(Encoded.Span);

    /// <summary>The entries that are valid compact peers, as endpoints.</summary>
    public List<IPEndPoint> ToEndPoints()
    {
        var list = new List<IPEndPoint>(Count);
        foreach (ReadOnlySpan<byte> entry in this)
        {
            if (CompactFormat.TryReadPeer(entry, out IPEndPoint? endPoint))
            {
                list.Add(endPoint);
            }
        }

        return list;
    }

    /// <inheritdoc/>
    public bool Equals(CompactPeerList other) => Encoded.Span.SequenceEqual(other.Encoded.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CompactPeerList other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Count;

    /// <summary>Enumerates the byte strings of the list.</summary>
    public ref struct Enumerator
    {
        private BencodeReader _reader;

        internal Enumerator(ReadOnlySpan<byte> encoded)
        {
            _reader = new BencodeReader(encoded);
            if (!encoded.IsEmpty)
            {
                _reader.TryRead(); // the list start
            }
        }

        /// <summary>The current entry.</summary>
        public readonly ReadOnlySpan<byte> Current => _reader.ValueSpan;

        /// <summary>Advances to the next string.</summary>
        public bool MoveNext() => _reader.TryRead() && _reader.TokenType == BencodeTokenType.String;
    }
}

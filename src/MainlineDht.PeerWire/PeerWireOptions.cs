using System.Net;
using System.Security.Cryptography;

namespace MainlineDht.PeerWire;

/// <summary>How our side of a peer connection presents itself and where it may connect.</summary>
public record PeerWireOptions
{
    /// <summary>
    /// Our 20-byte peer id; null: a fresh one per fetch or download (<c>-MD0100-</c> and 12 random bytes,
    /// Azureus style).
    /// </summary>
    public byte[]? PeerId { get; init; }

    /// <summary>The local address outgoing TCP connections are bound to; null: the system chooses.</summary>
    public IPAddress? BindAddress { get; init; }

    /// <summary>
    /// Refuse every peer outside 127.0.0.0/8 and ::1 without connecting (tests and samples on
    /// loopback). The refusal is reported for that peer.
    /// </summary>
    public bool LoopbackOnly { get; init; }

    /// <summary>Our client name in the BEP 10 handshake's <c>v</c>.</summary>
    public string ClientVersion { get; init; } = "MainlineDht 0.1";

    /// <summary>The clock behind every timeout.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The peer id to use: <see cref="PeerId"/>, or a fresh random one.</summary>
    internal byte[] ResolvePeerId()
    {
        if (PeerId is { } given)
        {
            return given.Length == 20 ? given : throw new ArgumentException("A peer id is 20 bytes.", nameof(PeerId));
        }

        byte[] id = new byte[20];
        "-MD0100-"u8.CopyTo(id);
        RandomNumberGenerator.Fill(id.AsSpan(8));
        return id;
    }

    /// <summary>Whether a connection to <paramref name="peer"/> is allowed.</summary>
    internal bool Allows(IPEndPoint peer) => !LoopbackOnly || IPAddress.IsLoopback(peer.Address);
}

using System.Net;

namespace MainlineDht.PeerWire.Metadata;

/// <summary>What one peer did when asked for the metadata.</summary>
/// <param name="EndPoint">The peer.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Error">The protocol error, when <paramref name="Outcome"/> is <see cref="PeerOutcome.ProtocolError"/>.</param>
/// <param name="Message">What happened, for people (the error's message, or a summary).</param>
/// <param name="Client">The peer's client (<c>v</c> of its extended handshake), when it sent one.</param>
/// <param name="MetadataSize">The <c>metadata_size</c> it announced, when it did.</param>
/// <param name="Elapsed">From the first connection attempt to the end.</param>
public sealed record PeerMetadataReport(
    IPEndPoint EndPoint,
    PeerOutcome Outcome,
    PeerProtocolError? Error,
    string Message,
    string? Client,
    long? MetadataSize,
    TimeSpan Elapsed);

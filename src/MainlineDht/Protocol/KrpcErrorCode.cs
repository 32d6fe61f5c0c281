namespace MainlineDht.Protocol;

/// <summary>KRPC error codes (BEP 5, and BEP 44's additions).</summary>
public enum KrpcErrorCode
{
    /// <summary>201: generic error.</summary>
    Generic = 201,
    /// <summary>202: server error.</summary>
    Server = 202,
    /// <summary>203: protocol error: a malformed packet, invalid arguments or a bad token.</summary>
    Protocol = 203,
    /// <summary>204: method unknown.</summary>
    MethodUnknown = 204,
    /// <summary>205 (BEP 44): message (<c>v</c>) too big.</summary>
    MessageTooBig = 205,
    /// <summary>206 (BEP 44): invalid signature.</summary>
    InvalidSignature = 206,
    /// <summary>207 (BEP 44): salt too big.</summary>
    SaltTooBig = 207,
    /// <summary>301 (BEP 44): the CAS hash did not match.</summary>
    CasMismatch = 301,
    /// <summary>302 (BEP 44): sequence number less than the current one.</summary>
    SequenceNumberTooLow = 302,
}

namespace MainlineDht.Bencode;

/// <summary>Thrown when bencoded input is malformed; names the reason and the byte offset.</summary>
public sealed class BencodeException : FormatException
{
    /// <summary>Creates the exception for an error found at <paramref name="offset"/>.</summary>
    public BencodeException(BencodeError error, int offset)
        : base($"Invalid bencode at byte {offset}: {Describe(error)}.")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Why the input was rejected.</summary>
    public BencodeError Error { get; }

    /// <summary>The offset of the offending byte from the start of the input.</summary>
    public int Offset { get; }

    /// <summary>A short human-readable description of <paramref name="error"/>.</summary>
    public static string Describe(BencodeError error) => error switch
    {
        BencodeError.None => "no error",
        BencodeError.UnexpectedEnd => "input ends inside a value",
        BencodeError.InvalidToken => "byte cannot start a value",
        BencodeError.InvalidInteger => "integer is empty or has a non-digit",
        BencodeError.LeadingZero => "number has a leading zero",
        BencodeError.NegativeZero => "integer is negative zero",
        BencodeError.IntegerOverflow => "integer does not fit in 64 bits",
        BencodeError.InvalidStringLength => "string length is not digits followed by ':'",
        BencodeError.StringPastEnd => "string runs past the end of the input",
        BencodeError.UnterminatedContainer => "list or dictionary is not terminated",
        BencodeError.TrailingBytes => "bytes follow the top-level value",
        BencodeError.DepthExceeded => "nesting is deeper than the limit",
        BencodeError.KeyNotString => "dictionary key is not a byte string",
        BencodeError.MissingValue => "dictionary key has no value",
        BencodeError.UnsortedKeys => "dictionary keys are not sorted",
        BencodeError.DuplicateKey => "dictionary key is repeated",
        _ => error.ToString(),
    };
}

namespace MainlineDht.Bencode;

/// <summary>The kind of token a <see cref="BencodeReader"/> is positioned on.</summary>
public enum BencodeTokenType : byte
{
    /// <summary>Nothing has been read yet, or the input is exhausted.</summary>
    None = 0,
    /// <summary>An integer (<c>i42e</c>); see <see cref="BencodeReader.IntegerValue"/>.</summary>
    Integer,
    /// <summary>A byte string that is a value; see <see cref="BencodeReader.ValueSpan"/>.</summary>
    String,
    /// <summary>A byte string in key position of a dictionary; see <see cref="BencodeReader.ValueSpan"/>.</summary>
    Key,
    /// <summary>The start of a list (<c>l</c>).</summary>
    StartList,
    /// <summary>The start of a dictionary (<c>d</c>).</summary>
    StartDictionary,
    /// <summary>The end of a list (<c>e</c>).</summary>
    EndList,
    /// <summary>The end of a dictionary (<c>e</c>).</summary>
    EndDictionary,
}

/// <summary>Why a bencoded input was rejected.</summary>
public enum BencodeError : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The input ended in the middle of a value.</summary>
    UnexpectedEnd,
    /// <summary>A byte that cannot start a value.</summary>
    InvalidToken,
    /// <summary>An integer with no digits, or with a non-digit inside.</summary>
    InvalidInteger,
    /// <summary>An integer or string length written with a leading zero.</summary>
    LeadingZero,
    /// <summary>The integer <c>i-0e</c>.</summary>
    NegativeZero,
    /// <summary>An integer outside the range of a signed 64-bit number.</summary>
    IntegerOverflow,
    /// <summary>A string length with no digits, or not followed by <c>:</c>.</summary>
    InvalidStringLength,
    /// <summary>A string length that runs past the end of the input.</summary>
    StringPastEnd,
    /// <summary>A list or dictionary not closed before the end of the input.</summary>
    UnterminatedContainer,
    /// <summary>Bytes after the end of the top-level value.</summary>
    TrailingBytes,
    /// <summary>Containers nested deeper than <see cref="BencodeReaderOptions.MaxDepth"/>.</summary>
    DepthExceeded,
    /// <summary>A dictionary key that is not a byte string.</summary>
    KeyNotString,
    /// <summary>A dictionary that ends after a key, with no value for it.</summary>
    MissingValue,
    /// <summary>Strict mode: dictionary keys not in ascending raw-byte order.</summary>
    UnsortedKeys,
    /// <summary>Strict mode: the same key twice in one dictionary.</summary>
    DuplicateKey,
}

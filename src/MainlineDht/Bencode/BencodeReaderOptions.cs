namespace MainlineDht.Bencode;

/// <summary>Limits and checks applied by a <see cref="BencodeReader"/>.</summary>
public readonly record struct BencodeReaderOptions
{
    /// <summary>The deepest nesting the reader accepts when none is set.</summary>
    public const int DefaultMaxDepth = 32;

    /// <summary>The largest value <see cref="MaxDepth"/> may take.</summary>
    public const int MaxAllowedDepth = 64;

    private readonly int _maxDepth;

    /// <summary>
    /// How many lists and dictionaries may be open at once (1 to <see cref="MaxAllowedDepth"/>);
    /// 0 means <see cref="DefaultMaxDepth"/>.
    /// </summary>
    public int MaxDepth
    {
        get => _maxDepth == 0 ? DefaultMaxDepth : _maxDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxAllowedDepth);
            _maxDepth = value;
        }
    }

    /// <summary>
    /// When set, dictionary keys must be unique and in ascending raw-byte order, as bencode requires.
    /// Off by default: DHT peers are read leniently (unknown order is tolerated, the first of
    /// duplicate keys is what a decoder sees first).
    /// </summary>
    public bool Strict { get; init; }
}

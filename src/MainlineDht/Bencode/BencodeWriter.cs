using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace MainlineDht.Bencode;

/// <summary>
/// Writes bencode into a caller's span without allocating. Dictionary keys must be written in
/// ascending raw-byte order and each exactly once: an out-of-order key is a caller mistake and
/// throws <see cref="InvalidOperationException"/>, so what this writer emits is always canonical.
/// When the span is too small, <see cref="Overflowed"/> becomes true and nothing more is written.
/// </summary>
public ref struct BencodeWriter
{
    private const int InlineDepth = 8;

    private readonly Span<byte> _buffer;
    private int _written;
    private int _depth;
    private ulong _dictionaryBits;
    private bool _expectKey;
    private bool _overflowed;
    private KeyStack _inlineKeys;   // start and length of the last key at depths 1..8
    private long[]? _deepKeys;      // the same beyond depth 8, allocated only for such nesting

    /// <summary>Creates a writer that fills <paramref name="destination"/> from its start.</summary>
    public BencodeWriter(Span<byte> destination) => _buffer = destination;

    /// <summary>How many bytes have been written.</summary>
    public readonly int BytesWritten => _written;

    /// <summary>True when a write did not fit; the output is then incomplete.</summary>
    public readonly bool Overflowed => _overflowed;

    /// <summary>How many lists and dictionaries are open.</summary>
    public readonly int CurrentDepth => _depth;

    /// <summary>The bytes written so far.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._written];

    /// <summary>Opens a dictionary.</summary>
    public void WriteStartDictionary()
    {
        BeforeValue();
        Push(dictionary: true); // may throw: before anything is written
        Put((byte)'d');
    }

    /// <summary>Opens a list.</summary>
    public void WriteStartList()
    {
        BeforeValue();
        Push(dictionary: false);
        Put((byte)'l');
    }

    /// <summary>Closes the innermost list or dictionary.</summary>
    public void WriteEnd()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("No list or dictionary is open.");
        }

        if (IsDictionary(_depth) && !_expectKey)
        {
            throw new InvalidOperationException("A dictionary key was written without a value.");
        }

        Put((byte)'e');
        _depth--;
        AfterValue();
    }

    /// <summary>Writes a dictionary key; keys must ascend in raw-byte order.</summary>
    public void WriteKey(scoped ReadOnlySpan<byte> key)
    {
        if (_depth == 0 || !IsDictionary(_depth) || !_expectKey)
        {
            throw new InvalidOperationException("A key can only be written inside a dictionary, before its value.");
        }

        int start = _written + DigitCount((ulong)key.Length) + 1;
        CheckAndRememberKey(key, start);
        PutString(key);
        _expectKey = false;
    }

    /// <summary>Writes a byte string value.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> value)
    {
        BeforeValue();
        PutString(value);
        AfterValue();
    }

    /// <summary>Writes an integer value.</summary>
    public void WriteInteger(long value)
    {
        BeforeValue();
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int n);
        if (Reserve(n + 2, out Span<byte> dest))
        {
            dest[0] = (byte)'i';
            digits[..n].CopyTo(dest[1..]);
            dest[n + 1] = (byte)'e';
        }

        AfterValue();
    }

    /// <summary>
    /// Writes a value that is already bencoded (for example a BEP 44 item's <c>v</c>), as is.
    /// The caller vouches that it is one well-formed value.
    /// </summary>
    public void WriteRawValue(scoped ReadOnlySpan<byte> encoded)
    {
        BeforeValue();
        if (Reserve(encoded.Length, out Span<byte> dest))
        {
            encoded.CopyTo(dest);
        }

        AfterValue();
    }

    /// <summary>Shorthand for a key followed by a byte string.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> key, scoped ReadOnlySpan<byte> value)
    {
        WriteKey(key);
        WriteString(value);
    }

    /// <summary>Shorthand for a key followed by an integer.</summary>
    public void WriteInteger(scoped ReadOnlySpan<byte> key, long value)
    {
        WriteKey(key);
        WriteInteger(value);
    }

    /// <summary>How many bytes <c>len:bytes</c> takes for a string of <paramref name="length"/> bytes.</summary>
    public static int StringSize(int length) => DigitCount((ulong)length) + 1 + length;

    /// <summary>How many bytes <c>i...e</c> takes for <paramref name="value"/>.</summary>
    internal static int IntegerSize(long value) =>
        value < 0 ? 3 + DigitCount((ulong)(-(value + 1)) + 1) : 2 + DigitCount((ulong)value);

    private void PutString(scoped ReadOnlySpan<byte> value)
    {
        int lengthDigits = DigitCount((ulong)value.Length);
        if (Reserve(lengthDigits + 1 + value.Length, out Span<byte> dest))
        {
            Utf8Formatter.TryFormat(value.Length, dest, out _);
            dest[lengthDigits] = (byte)':';
            value.CopyTo(dest[(lengthDigits + 1)..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(byte b)
    {
        if (Reserve(1, out Span<byte> dest))
        {
            dest[0] = b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Reserve(int count, out Span<byte> dest)
    {
        if (_overflowed || count > _buffer.Length - _written)
        {
            _overflowed = true;
            dest = default;
            return false;
        }

        dest = _buffer.Slice(_written, count);
        _written += count;
        return true;
    }

    private void BeforeValue()
    {
        if (_expectKey)
        {
            throw new InvalidOperationException("A dictionary needs a key before each value.");
        }

        if (_depth == 0 && _written > 0)
        {
            throw new InvalidOperationException("Bencode holds one top-level value; it is already written.");
        }
    }

    private void AfterValue() => _expectKey = _depth > 0 && IsDictionary(_depth);

    private void Push(bool dictionary)
    {
        if (_depth == 64)
        {
            throw new InvalidOperationException("Bencode nesting deeper than 64 is not written.");
        }

        _depth++;
        if (dictionary)
        {
            _dictionaryBits |= 1UL << (_depth - 1);
            SetKey(_depth, -1);
        }
        else
        {
            _dictionaryBits &= ~(1UL << (_depth - 1));
        }

        _expectKey = dictionary;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool IsDictionary(int depth) => (_dictionaryBits & (1UL << (depth - 1))) != 0;

    private void CheckAndRememberKey(scoped ReadOnlySpan<byte> key, int start)
    {
        long previous = GetKey(_depth);
        if (previous >= 0 && !_overflowed)
        {
            ReadOnlySpan<byte> last = _buffer.Slice((int)(previous >> 32), (int)(previous & 0xFFFF_FFFF));
            int order = key.SequenceCompareTo(last);
            if (order <= 0)
            {
                throw new InvalidOperationException(order == 0
                    ? "A dictionary key was written twice."
                    : "Dictionary keys must be written in ascending raw-byte order.");
            }
        }

        SetKey(_depth, ((long)start << 32) | (uint)key.Length);
    }

    private readonly long GetKey(int depth) =>
        depth <= InlineDepth ? _inlineKeys[depth - 1] : _deepKeys![depth - 1 - InlineDepth];

    private void SetKey(int depth, long value)
    {
        if (depth <= InlineDepth)
        {
            _inlineKeys[depth - 1] = value;
            return;
        }

        _deepKeys ??= new long[64 - InlineDepth];
        _deepKeys[depth - 1 - InlineDepth] = value;
    }

    private static int DigitCount(ulong value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    [InlineArray(InlineDepth)]
    private struct KeyStack
    {
        private long _element;
    }
}

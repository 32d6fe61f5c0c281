using BenchmarkDotNet.Attributes;
using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Benchmarks.Storage;

/// <summary>
/// BEP 44 storage: one ed25519 signature verification (libsodium through NSec, what every mutable
/// put and every item a lookup receives costs), and the store's put and get paths.
/// </summary>
[MemoryDiagnoser]
public class StorageItemBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly byte[] _salt = "profile"u8.ToArray();
    private byte[] _value = [];
    private byte[] _immutable = [];
    private byte[] _publicKey = [];
    private byte[] _signature = [];
    private NodeId _mutableTarget;
    private NodeId _immutableTarget;
    private ItemStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        byte[] payload = new byte[200];
        random.NextBytes(payload);
        _value = [.. "200:"u8, .. payload];
        _immutable = [.. "200:"u8, .. payload.Reverse()];
        using SigningKey key = SigningKey.FromSeed(payload.AsSpan(0, SigningKey.SeedSize));
        _publicKey = key.PublicKey.ToArray();
        _signature = key.SignItem(_salt, 7, _value);
        _mutableTarget = ItemTarget.ForMutable(_publicKey, _salt);
        _immutableTarget = ItemTarget.ForImmutable(_immutable);

        _store = new ItemStore(new ItemStoreOptions(), Ed25519ItemSignatureVerifier.Instance);
        for (int i = 0; i < 699; i++)
        {
            byte[] other = System.Text.Encoding.ASCII.GetBytes($"i{i}e");
            _store.PutImmutable(ItemTarget.ForImmutable(other), other, T0);
        }

        if (!_store.PutMutable(_mutableTarget, new MutableItemPut(_publicKey, _salt, 7, _value, _signature), T0).IsStored()
            || !_store.PutImmutable(_immutableTarget, _immutable, T0).IsStored() || !VerifySignature())
        {
            throw new InvalidOperationException("The benchmark items are not stored.");
        }
    }

    /// <summary>One ed25519 verification of a 200-byte value with a salt (the signed buffer built on the stack).</summary>
    [Benchmark]
    public bool VerifySignature() =>
        ItemSignature.Verify(Ed25519ItemSignatureVerifier.Instance, _publicKey, _salt, 7, _value, _signature);

    /// <summary>A mutable item put again (same seq and value): sizes, target, signature, then a refresh.</summary>
    [Benchmark]
    public int PutMutableAgain() =>
        (int)_store.PutMutable(_mutableTarget, new MutableItemPut(_publicKey, _salt, 7, _value, _signature), T0);

    /// <summary>An immutable item put again: bencode check, SHA-1 of the value, then a refresh.</summary>
    [Benchmark]
    public int PutImmutableAgain() => (int)_store.PutImmutable(_immutableTarget, _immutable, T0);

    /// <summary>A get's lookup in a store of 700 items.</summary>
    [Benchmark]
    public bool Get() => _store.TryGet(_mutableTarget, T0, out _);
}

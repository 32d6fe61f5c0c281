using System.Net;
using System.Security.Cryptography;

namespace MainlineDht.Storage;

/// <summary>
/// Fills <paramref name="destination"/> with unpredictable bytes. In a node this is
/// <see cref="RandomNumberGenerator.Fill(Span{byte})"/>; a test passes a seeded source.
/// </summary>
internal delegate void SecretGenerator(Span<byte> destination);

/// <summary>
/// Issues and checks the write tokens of BEP 5: a <c>get_peers</c> reply hands the requester a
/// token, and its later <c>announce_peer</c> is accepted only with a token we issued to the same IP
/// address a short while ago.
/// </summary>
/// <remarks>
/// A token is the first <see cref="TokenLength"/> bytes of SHA-1 over (IP address bytes ‖ secret).
/// The secret is 20 random bytes, replaced every <see cref="RotationInterval"/> (5 minutes by
/// default); the current and the previous secret are both accepted, so a token stays valid for
/// between one and two intervals (5–10 minutes) after it was issued. Nothing is stored per
/// requester. Rotation is lazy: every call brings the secrets up to date with the time it is given,
/// so an idle node that wakes after two or more intervals rejects every token it issued before.
/// Not thread-safe: the node's event loop owns it.
/// </remarks>
internal sealed class WriteTokenManager
{
    /// <summary>The length of the tokens we issue, in bytes.</summary>
    public const int TokenLength = 8;

    /// <summary>The length of a secret, in bytes.</summary>
    public const int SecretLength = 20;

    /// <summary>How often the secret is replaced unless another interval is given.</summary>
    public static readonly TimeSpan DefaultRotationInterval = TimeSpan.FromMinutes(5);

    private readonly SecretGenerator? _generateSecret;
    private readonly long _intervalTicks;
    private readonly byte[] _secrets = new byte[2 * SecretLength]; // the current one, then the previous one: one array

    private Span<byte> Current => _secrets.AsSpan(0, SecretLength);

    private Span<byte> Previous => _secrets.AsSpan(SecretLength);

    private long _currentSinceTicks;

    /// <summary>The seeded source when <see cref="_generateSecret"/> is null (a seeded node's: no delegate, no object).</summary>
    private SeededSecrets _seeded;

    /// <summary>Creates a manager with cryptographically random secrets rotated every 5 minutes.</summary>
    public WriteTokenManager(DateTimeOffset now)
        : this(now, RandomNumberGenerator.Fill, DefaultRotationInterval)
    {
    }

    /// <summary>Creates a manager whose secrets come from <paramref name="generateSecret"/>.</summary>
    /// <param name="now">The current time; the first secret is current from then.</param>
    /// <param name="generateSecret">The source of secrets.</param>
    /// <param name="rotationInterval">How long a secret is current (and then how long it is still accepted as the previous one).</param>
    public WriteTokenManager(DateTimeOffset now, SecretGenerator generateSecret, TimeSpan rotationInterval)
        : this(now, generateSecret ?? throw new ArgumentNullException(nameof(generateSecret)), default, rotationInterval)
    {
    }

    /// <summary>Creates a manager with reproducible secrets from <paramref name="seed"/> (<see cref="SeededSecrets"/>: tests, simulations).</summary>
    /// <param name="now">The current time; the first secret is current from then.</param>
    /// <param name="seed">The seed of the secrets.</param>
    /// <param name="rotationInterval">How long a secret is current (and then how long it is still accepted as the previous one).</param>
    public WriteTokenManager(DateTimeOffset now, ulong seed, TimeSpan rotationInterval)
        : this(now, null, new SeededSecrets(seed), rotationInterval)
    {
    }

    private WriteTokenManager(DateTimeOffset now, SecretGenerator? generateSecret, SeededSecrets seeded, TimeSpan rotationInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rotationInterval, TimeSpan.Zero);
        _generateSecret = generateSecret;
        _seeded = seeded;
        _intervalTicks = rotationInterval.Ticks;
        Generate(Current);
        Generate(Previous);
        _currentSinceTicks = now.UtcTicks;
    }

    private void Generate(Span<byte> secret)
    {
        if (_generateSecret is null)
        {
            _seeded.Fill(secret);
        }
        else
        {
            _generateSecret(secret);
        }
    }

    /// <summary>How long a secret is current.</summary>
    public TimeSpan RotationInterval => TimeSpan.FromTicks(_intervalTicks);

    /// <summary>
    /// Writes the token for <paramref name="address"/> into <paramref name="destination"/> and
    /// returns its length (<see cref="TokenLength"/>). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="TokenLength"/>, or the address is not IPv4/IPv6.</exception>
    public int WriteToken(IPAddress address, Span<byte> destination, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (destination.Length < TokenLength)
        {
            throw new ArgumentException($"A write token needs {TokenLength} bytes.", nameof(destination));
        }

        Rotate(now);
        Span<byte> addressBytes = stackalloc byte[PeerAddress.MaxLength];
        int length = PeerAddress.Write(address, addressBytes);
        ComputeToken(addressBytes[..length], Current, destination);
        return TokenLength;
    }

    /// <summary>
    /// True when <paramref name="token"/> is one we issued to <paramref name="address"/> under the
    /// current or the previous secret. The comparison takes the same time whatever the bytes are;
    /// a token of the wrong length is simply not valid.
    /// </summary>
    public bool Validate(IPAddress address, ReadOnlySpan<byte> token, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(address);
        Rotate(now);
        if (token.Length != TokenLength)
        {
            return false;
        }

        Span<byte> addressBytes = stackalloc byte[PeerAddress.MaxLength];
        int length = PeerAddress.Write(address, addressBytes);
        Span<byte> expected = stackalloc byte[TokenLength];

        ComputeToken(addressBytes[..length], Current, expected);
        bool current = CryptographicOperations.FixedTimeEquals(expected, token);
        ComputeToken(addressBytes[..length], Previous, expected);
        bool previous = CryptographicOperations.FixedTimeEquals(expected, token);

        // Both are always computed and combined without short-circuit: no timing hint of which matched.
        return current | previous;
    }

    private void Rotate(DateTimeOffset now)
    {
        long elapsed = now.UtcTicks - _currentSinceTicks;
        if (elapsed < _intervalTicks)
        {
            return; // also when the clock went backwards: keep the secrets we have
        }

        long periods = elapsed / _intervalTicks;
        if (periods == 1)
        {
            Current.CopyTo(Previous);
        }
        else
        {
            // Two or more intervals passed unseen: the old current secret is older than the
            // previous slot allows, so neither survives.
            Generate(Previous);
        }

        Generate(Current);
        _currentSinceTicks += periods * _intervalTicks;
    }

    private static void ComputeToken(ReadOnlySpan<byte> address, ReadOnlySpan<byte> secret, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[PeerAddress.MaxLength + SecretLength];
        address.CopyTo(input);
        secret.CopyTo(input[address.Length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];

        // SHA-1 is what BEP 5 names; the token only has to be unguessable for a few minutes.
        SHA1.HashData(input[..(address.Length + SecretLength)], hash);
        hash[..TokenLength].CopyTo(destination);
    }
}

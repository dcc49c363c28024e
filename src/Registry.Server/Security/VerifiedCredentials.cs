using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Registry.Server.Security;

/// <summary>
/// Basic credentials that verified against the users file, so that a client, which sends them on every request, does not
/// pay PBKDF2 (100,000 iterations of SHA-256) on each: with it per request, a server on two cores answered 76 reads a
/// second (docs/performance.md). An entry is keyed by an HMAC of the name and password under a key made for this process,
/// so neither is kept; it holds while the user's stored hash is still the one it verified against, for
/// <c>Registry:BasicAuthCacheSeconds</c>. Only successes are kept: a wrong password always costs the whole hash.
/// </summary>
internal sealed class VerifiedCredentials(TimeProvider time, TimeSpan lifetime, int capacity)
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<(ulong, ulong, ulong, ulong), Entry> _entries = new();

    private sealed record Entry(string Hash, DateTimeOffset Expires);

    /// <summary>
    /// Whether these credentials (<c>name:password</c> as the basic header sends them, UTF-8; a name has no ':') verified
    /// against <paramref name="hash"/> within the lifetime.
    /// </summary>
    public bool Contains(ReadOnlySpan<byte> credentials, string hash) =>
        _entries.TryGetValue(KeyOf(credentials), out var entry) && string.Equals(entry.Hash, hash, StringComparison.Ordinal)
        && time.GetUtcNow() < entry.Expires;

    /// <summary>Remembers credentials that verified against <paramref name="hash"/>.</summary>
    public void Add(ReadOnlySpan<byte> credentials, string hash)
    {
        // Only valid credentials are added, so the entries are about as many as the users; the bound is a backstop.
        if (_entries.Count >= capacity) _entries.Clear();
        _entries[KeyOf(credentials)] = new Entry(hash, time.GetUtcNow() + lifetime);
    }

    private (ulong, ulong, ulong, ulong) KeyOf(ReadOnlySpan<byte> credentials)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, credentials, mac);
        return (BitConverter.ToUInt64(mac), BitConverter.ToUInt64(mac[8..]), BitConverter.ToUInt64(mac[16..]), BitConverter.ToUInt64(mac[24..]));
    }
}

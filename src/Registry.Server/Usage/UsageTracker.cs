using System.Collections.Concurrent;
using Registry.Core.Model;

namespace Registry.Server.Usage;

/// <summary>
/// Observed usage of schema ids, kept compactly beside the state (not as events): who fetches each id by
/// <c>GET /schemas/ids/{id}</c> (a consumer fetches the writer's id to deserialize), and which clients produce it to
/// which topic, as the gateway reports. Per key: a count, when last seen, and a rate that decays with a one-minute time
/// constant. At most <c>Registry:Usage:MaxKeys</c> keys; beyond, the least recently seen go first. Kept in memory on
/// the node that observed it, so each node reports what it saw.
/// </summary>
public sealed class UsageTracker(int maxKeys, TimeProvider time)
{
    public const string Fetch = "fetch";
    public const string Produce = "produce";

    private const double TimeConstantMs = 60_000;

    private readonly ConcurrentDictionary<UsageKey, Counter> _counters = new();
    private int _evicting;

    // ConcurrentDictionary.Count takes every lock; the number of keys is kept here instead.
    private int _keys;

    /// <summary>Who (a principal, or a client id) used which schema, how, and through which topic (for produce).</summary>
    public readonly record struct UsageKey(ContextId Id, string Kind, string Who, string? Topic);

    public sealed record UsageEntry(string Kind, string Who, string? Topic, long Count, long LastSeen, double PerSecond);

    private sealed class Counter
    {
        public long Count;
        public long LastSeen;
        public double Rate;
    }

    public int Keys => Volatile.Read(ref _keys);

    public void Record(ContextId id, string kind, string who, string? topic, long count = 1)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = new UsageKey(id, kind, who, topic);
        var full = false;
        if (!_counters.TryGetValue(key, out var counter))
        {
            // Seen now from the start, so the eviction this key may cause never takes the key itself.
            var added = new Counter { LastSeen = now };
            counter = _counters.GetOrAdd(key, added);
            full = ReferenceEquals(counter, added) && Interlocked.Increment(ref _keys) > maxKeys;
        }
        lock (counter)
        {
            counter.Rate = Decayed(counter, now) + count * 1000 / TimeConstantMs;
            counter.Count += count;
            counter.LastSeen = now;
        }
        if (full) Evict();
    }

    /// <summary>What is known about each of the given schema ids (none for an id never seen), most used first; one pass over the counters.</summary>
    public IReadOnlyDictionary<ContextId, IReadOnlyList<UsageEntry>> Of(IReadOnlySet<ContextId> ids)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var found = new List<(ContextId Id, UsageEntry Entry)>();
        foreach (var (key, counter) in _counters)
        {
            if (!ids.Contains(key.Id)) continue;
            lock (counter) found.Add((key.Id, new UsageEntry(key.Kind, key.Who, key.Topic, counter.Count, counter.LastSeen, Math.Round(Decayed(counter, now), 3))));
        }
        var byId = found.GroupBy(f => f.Id).ToDictionary(g => g.Key,
            g => (IReadOnlyList<UsageEntry>)[.. g.Select(f => f.Entry).OrderByDescending(e => e.PerSecond).ThenByDescending(e => e.Count)]);
        foreach (var id in ids) byId.TryAdd(id, []);
        return byId;
    }

    /// <summary>The rate (per second) decayed to <paramref name="now"/>: an exponentially weighted rate over about a minute.</summary>
    private static double Decayed(Counter counter, long now) => counter.Rate * Math.Exp(-Math.Max(0, now - counter.LastSeen) / TimeConstantMs);

    private void Evict()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1) return;
        try
        {
            // Down to 90% of the bound in one pass, so eviction is rare rather than once per new key.
            var excess = Keys - maxKeys * 9 / 10;
            if (excess <= 0) return;
            foreach (var key in _counters.OrderBy(c => Volatile.Read(ref c.Value.LastSeen)).Take(excess).Select(c => c.Key).ToList())
            {
                if (_counters.TryRemove(key, out _)) Interlocked.Decrement(ref _keys);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }
}

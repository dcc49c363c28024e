using Registry.Core.Model;
using Registry.Server.Usage;
using Registry.Testing;

namespace Registry.Server.Tests;

/// <summary>The observed-usage counters: counts, a rate that decays, and a bound that evicts the least recently seen.</summary>
public sealed class UsageTrackerTests
{
    [Fact]
    public void Counts_add_up_the_rate_decays_and_the_least_recently_seen_keys_go_first()
    {
        var clock = new ManualClock();
        var tracker = new UsageTracker(maxKeys: 10, clock);
        var id = new ContextId(".", 1);
        tracker.Record(id, UsageTracker.Produce, "payments-svc", "orders", 600);
        tracker.Record(id, UsageTracker.Fetch, "analytics", null);
        var fresh = tracker.Of(new HashSet<ContextId> { id })[id];
        Assert.Equal(["payments-svc", "analytics"], fresh.Select(e => e.Who));
        Assert.Equal(600, fresh[0].Count);
        Assert.Equal(10, fresh[0].PerSecond, 3);

        clock.Now += TimeSpan.FromMinutes(1);
        var later = tracker.Of(new HashSet<ContextId> { id })[id][0];
        Assert.Equal(600, later.Count);
        Assert.Equal(10 / Math.E, later.PerSecond, 2);

        // Eleven more keys: beyond the bound of ten, the oldest are evicted, down to nine.
        for (var i = 0; i < 11; i++)
        {
            clock.Now += TimeSpan.FromSeconds(1);
            tracker.Record(new ContextId(".", 100 + i), UsageTracker.Fetch, "reader", null);
        }
        Assert.True(tracker.Keys <= 10, $"{tracker.Keys} keys");
        Assert.Empty(tracker.Of(new HashSet<ContextId> { id })[id]);
        Assert.Single(tracker.Of(new HashSet<ContextId> { new(".", 110) })[new(".", 110)]);
    }
}

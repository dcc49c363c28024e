using System.Diagnostics.Metrics;

namespace Registry.Storage;

/// <summary>The store's instruments (System.Diagnostics.Metrics; /metrics exports them in Prometheus format).</summary>
public static class StorageMetrics
{
    public const string MeterName = "Registry.Storage";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Spans of store work (appends), exported when tracing is on.</summary>
    public static readonly System.Diagnostics.ActivitySource Tracing = new(MeterName);

    /// <summary>Seconds an append took, by outcome (ok, conflict, error).</summary>
    public static readonly Histogram<double> AppendSeconds = Meter.CreateHistogram<double>("store_append_seconds", "s", "Time to append events to the store");

    /// <summary>Writes decided and appended together in one append (group commit).</summary>
    public static readonly Histogram<int> BatchWrites = Meter.CreateHistogram<int>("store_append_writes", description: "Writes group-committed in one append");

    /// <summary>Events the node applied from the log that other nodes wrote.</summary>
    public static readonly Counter<long> EventsFollowed = Meter.CreateCounter<long>("log_events_followed", description: "Events applied from other nodes");

    /// <summary>Failed reads of the log (the node is not ready while they last).</summary>
    public static readonly Counter<long> FollowFailures = Meter.CreateCounter<long>("log_follow_failures", description: "Failed reads of the log");

    internal static Func<long>? Position { get; set; }

    static StorageMetrics() =>
        Meter.CreateObservableGauge("log_position", () => Position?.Invoke() ?? 0, description: "Log position applied on this node");
}

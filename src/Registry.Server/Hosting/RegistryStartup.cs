using Microsoft.Extensions.Options;
using Registry.Core;
using Registry.Storage;

namespace Registry.Server.Hosting;

/// <summary>
/// Replays the log before the server takes requests (or keeps trying, if the store is down), then follows
/// the log for writes of other nodes until shutdown.
/// </summary>
internal sealed partial class RegistryStartup(RegistryEngine engine, Exporters.ExporterService exporters, ILogger<RegistryStartup> logger, IOptions<RegistryOptions> options) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _follower;
    private int _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        LogStore(logger, o.Store, o.Store switch
        {
            "postgres" => "schema " + o.Postgres.Schema,
            "kafka" => $"topic {o.Kafka.Topic} at {o.Kafka.BootstrapServers}",
            _ => Path.GetFullPath(o.DataDirectory),
        });
        if (o.MemoryBudgetBytes > 0) ApplyMemoryBudget(o.MemoryBudgetBytes, o.EffectiveParsedSchemaCacheBytes);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await engine.StartAsync(cancellationToken);
            var state = engine.State;
            LogReplayed(logger, state.Position, state.Subjects.Count, state.Schemas.Count, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            // The replay leaves its garbage (read records, decoded events, superseded snapshots) in a heap that an idle
            // server would not collect for a long time: one compacting collection returns it to the system, so a node
            // at rest holds what its state needs (docs/performance.md, memory per schema).
            if (state.Position > 0) GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        catch (RegistryException e)
        {
            // Not ready yet: the follower keeps trying, and /health/ready says so meanwhile.
            LogStoreUnavailable(logger, e.Message);
        }
        _follower = engine.FollowAsync(TimeSpan.FromMilliseconds(o.PollIntervalMs), e => LogFollowFailed(logger, e.Message), _stopping.Token);
    }

    /// <summary>
    /// Gives the garbage collector its hard limit before the replay, so the replay and every later write stay inside it:
    /// the collector works harder as the heap nears the limit instead of growing past it. The limit is the process's, and
    /// it holds for the heap alone; beyond it an allocation fails, which refusing changes near it
    /// (<see cref="RegistryService.MemoryBudgetRefusal"/>) is there to prevent (docs/operations.md, memory).
    /// </summary>
    private void ApplyMemoryBudget(long budget, long cacheBytes)
    {
        AppContext.SetData("GCHeapHardLimit", (ulong)budget);
        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Registry:MemoryBudgetBytes ({budget} bytes) is below what the process already holds: {e.Message}", e);
        }
        ServerMetrics.MemoryBudget = budget;
        LogMemoryBudget(logger, budget >> 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20, cacheBytes >> 20);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host stopped twice (StopAsync, then disposal) stops once.
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        // Exporters write their last progress through the engine, so they stop before it closes.
        await exporters.StopAllAsync();
        await _stopping.CancelAsync();
        if (_follower is not null) await _follower;
        await engine.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Replayed {Events} events ({Subjects} subjects, {Schemas} schemas) in {ElapsedMs} ms")]
    private static partial void LogReplayed(ILogger logger, long events, int subjects, int schemas, long elapsedMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Memory budget {BudgetMiB} MiB: the heap's hard limit is {LimitMiB} MiB, the parsed-schema cache's {CacheMiB} MiB")]
    private static partial void LogMemoryBudget(ILogger logger, long budgetMiB, long limitMiB, long cacheMiB);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Store: {Store} ({Location})")]
    private static partial void LogStore(ILogger logger, string store, string location);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The store is not available yet; retrying: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Reading the log failed; the node is not ready until it succeeds: {Reason}")]
    private static partial void LogFollowFailed(ILogger logger, string reason);
}

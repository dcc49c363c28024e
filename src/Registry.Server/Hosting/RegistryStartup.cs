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

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Store: {Store} ({Location})")]
    private static partial void LogStore(ILogger logger, string store, string location);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The store is not available yet; retrying: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Reading the log failed; the node is not ready until it succeeds: {Reason}")]
    private static partial void LogFollowFailed(ILogger logger, string reason);
}

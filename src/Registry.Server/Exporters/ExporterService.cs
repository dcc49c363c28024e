using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Exporting;
using Registry.Core.Model;
using Registry.Server.Hosting;
using Registry.Storage;

namespace Registry.Server.Exporters;

/// <summary>What the node running an exporter knows about it beyond the log: how far it is and since when it lags.</summary>
public sealed class ExporterRun
{
    public volatile string State = "STARTING";
    public long Position;
    public long CaughtUpAt;
    public volatile string Trace = "";
    public long EndedAt;
}

/// <summary>
/// Runs the exporters this node holds the lease of: each follows the log from its last recorded position and applies
/// every change of its subjects to the destination, in log order, retrying with backoff until the destination takes
/// it. Progress and the lease are records in the log, so after a restart an exporter goes on where it was, and with
/// several nodes on one store exactly one runs it: a claim is a write, decided against the snapshot like any other.
/// </summary>
public sealed partial class ExporterService(
    RegistryEngine engine,
    RegistryDecider decider,
    ExporterSecrets secrets,
    IOptions<RegistryOptions> options,
    TimeProvider time,
    ILogger<ExporterService> logger) : BackgroundService
{
    private static readonly Meter Meter = new("Registry.Exporters");
    private static readonly Counter<long> AppliedCounter = Meter.CreateCounter<long>("applied", description: "Changes applied to exporters' destinations");
    private static readonly Counter<long> FailedCounter = Meter.CreateCounter<long>("failures", description: "Attempts the destination refused or did not answer");
    // Every service of the process (tests host several registries in one): each reports the exporters it runs.
    private static readonly ConcurrentDictionary<ExporterService, byte> Live = new();

    private readonly ConcurrentDictionary<string, (ExporterDefinition Definition, ExporterRun Run, CancellationTokenSource Stop, Task Task)> _workers = new(StringComparer.Ordinal);
    private readonly ExporterOptions _options = options.Value.Exporters;

    static ExporterService()
    {
        Meter.CreateObservableGauge("lag_events", () => Live.Keys.SelectMany(x => x.Measure(r => r.LagEvents)), description: "Log entries the destination has not got yet, per exporter this node runs");
        Meter.CreateObservableGauge("lag_seconds", () => Live.Keys.SelectMany(x => x.Measure(r => r.LagSeconds)), description: "Seconds since the exporter was last caught up, per exporter this node runs");
    }

    /// <summary>This node's name in exporter leases.</summary>
    public string Node { get; } = NodeName(options.Value);

    /// <summary>The run of an exporter on this node once it holds the lease, or null when another node (or none) runs it.</summary>
    public ExporterRun? RunOf(string name) => _workers.TryGetValue(name, out var worker) && worker.Run.State == "RUNNING" ? worker.Run : null;

    /// <summary>Entries of the log the exporter's destination has not got, and seconds since it was last caught up.</summary>
    public (long Events, double Seconds) Lag(ExporterRun run)
    {
        var events = Math.Max(0, engine.State.Position - Interlocked.Read(ref run.Position));
        return (events, events == 0 ? 0 : Math.Max(0, (Now - Interlocked.Read(ref run.CaughtUpAt)) / 1000.0));
    }

    private IEnumerable<Measurement<double>> Measure(Func<(long LagEvents, double LagSeconds), double> pick) =>
        _workers.Select(w => new Measurement<double>(pick(Lag(w.Value.Run)), new KeyValuePair<string, object?>("exporter", w.Key)));

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private int _stopped;

    private TimeSpan Lease => TimeSpan.FromMilliseconds(_options.LeaseMs);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Live[this] = 0;
        if (!engine.ReadsFromAnyPosition) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (engine.HasReplayed && Volatile.Read(ref _stopped) == 0) Reconcile(stoppingToken);
                await Task.Delay(_options.PollIntervalMs, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await StopAllAsync();
    }

    /// <summary>Starts the exporters this node may run and stops those it may no longer run.</summary>
    private void Reconcile(CancellationToken stoppingToken)
    {
        var state = engine.State;
        var now = Now;
        foreach (var (name, worker) in _workers)
        {
            var keep = state.Exporters.TryGetValue(name, out var entry) && entry.Definition == worker.Definition && entry.Progress.FreeFor(Node, now);
            if (keep && !worker.Task.IsCompleted) continue;
            // A run that failed is started again after a pause, not at once.
            if (keep && now - Interlocked.Read(ref worker.Run.EndedAt) < Math.Min(_options.RetryMaxMs, 5000)) continue;
            worker.Stop.Cancel();
            if (worker.Task.IsCompleted && _workers.TryRemove(name, out _)) worker.Stop.Dispose();
        }
        foreach (var (name, entry) in state.Exporters)
        {
            if (entry.Definition.Paused || !entry.Progress.FreeFor(Node, now) || _workers.ContainsKey(name)) continue;
            var run = new ExporterRun { Position = entry.Progress.Position, CaughtUpAt = now };
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _workers[name] = (entry.Definition, run, stop, Task.Run(() => RunAsync(entry.Definition, run, stop.Token), CancellationToken.None));
        }
    }

    /// <summary>Stops every exporter of this node and gives their leases up; the host's shutdown calls it before the engine closes.</summary>
    public async Task StopAllAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        Live.TryRemove(this, out _);
        foreach (var worker in _workers.Values) worker.Stop.Cancel();
        await Task.WhenAll(_workers.Values.Select(w => w.Task));
        // Give the leases up, so another node goes on at once instead of after the lease.
        foreach (var (name, worker) in _workers)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await engine.ExecuteAsync(s => decider.ReleaseExporter(s, name, Node, Interlocked.Read(ref worker.Run.Position), worker.Run.Trace), timeout.Token);
            }
            catch (Exception e) when (e is RegistryException or OperationCanceledException or ObjectDisposedException or Core.Events.NotWriterException)
            {
                LogReleaseFailed(logger, name, e.Message);
            }
        }
    }

    private async Task RunAsync(ExporterDefinition exporter, ExporterRun run, CancellationToken cancellationToken)
    {
        var name = exporter.Name;
        try
        {
            var route = new ExportRoute(exporter, _options.SourceName);
            var progress = await ClaimAsync(exporter, null, "", cancellationToken);
            if (progress is null) return;
            using var destination = Open(exporter, run);
            if (destination is null)
            {
                await ClaimAsync(exporter, progress.Position, run.Trace, cancellationToken);
                return;
            }
            LogStarted(logger, name, progress.Position, exporter.Config[ExportRoute.UrlKey]);
            var position = progress.Position;
            Interlocked.Exchange(ref run.Position, position);
            run.State = "RUNNING";
            var checkpoint = new Checkpoint(progress);
            while (!cancellationToken.IsCancellationRequested)
            {
                await foreach (var entry in engine.ReadFromAsync(position, cancellationToken))
                {
                    foreach (var operation in route.Map(entry.Event))
                    {
                        // Paused, changed or deleted (on this node, the snapshot has it as soon as the request is answered): stop here.
                        if (!engine.State.Exporters.TryGetValue(name, out var current) || current.Definition != exporter)
                            throw new LeaseLost("the exporter was paused, changed or deleted");
                        await ApplyAsync(exporter, destination, operation, run, checkpoint, position, cancellationToken);
                        checkpoint.Changed = true;
                        AppliedCounter.Add(1, new KeyValuePair<string, object?>("exporter", name));
                    }
                    position = entry.Position;
                    Interlocked.Exchange(ref run.Position, position);
                    await CheckpointAsync(exporter, run, checkpoint, position, cancellationToken);
                }
                Interlocked.Exchange(ref run.CaughtUpAt, Now);
                await CheckpointAsync(exporter, run, checkpoint, position, cancellationToken);
                await Task.Delay(_options.PollIntervalMs, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (LeaseLost e)
        {
            LogStopped(logger, name, e.Message);
        }
        catch (Exception e)
        {
            // The log could not be read (store down): the next reconcile starts the exporter again from its record.
            run.Trace = e.Message;
            LogFailed(logger, name, e.Message);
        }
        finally
        {
            run.State = "STARTING";
            Interlocked.Exchange(ref run.EndedAt, Now);
        }
    }

    /// <summary>The destination client, or null (with the reason in the run's trace) when the config cannot be used.</summary>
    private Destination? Open(ExporterDefinition exporter, ExporterRun run)
    {
        try
        {
            return new Destination(exporter.Name, secrets.Open(exporter.Config), TimeSpan.FromMilliseconds(_options.RequestTimeoutMs));
        }
        catch (Exception e) when (e is ExportFailure or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            run.Trace = "The exporter config cannot be used: " + e.Message;
            LogFailed(logger, exporter.Name, run.Trace);
            return null;
        }
    }

    private async Task ApplyAsync(ExporterDefinition exporter, Destination destination, ExportOperation operation, ExporterRun run, Checkpoint checkpoint, long position, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            // Never apply past the lease: another node may take the exporter over once it ends (renewed at half of it).
            await CheckpointAsync(exporter, run, checkpoint, position, cancellationToken);
            try
            {
                await destination.ApplyAsync(operation, cancellationToken);
                if (run.Trace.Length > 0)
                {
                    run.Trace = "";
                    checkpoint.Changed = true;
                }
                return;
            }
            catch (ExportFailure e)
            {
                FailedCounter.Add(1, new KeyValuePair<string, object?>("exporter", exporter.Name));
                if (run.Trace != e.Message) LogApplyFailed(logger, exporter.Name, e.Message);
                run.Trace = e.Message;
                checkpoint.Changed = true;
                await CheckpointAsync(exporter, run, checkpoint, position, cancellationToken);
                var delay = Math.Min(_options.RetryMaxMs, 100.0 * Math.Pow(2, Math.Min(attempt, 20)));
                await Task.Delay(TimeSpan.FromMilliseconds(delay), cancellationToken);
            }
        }
    }

    /// <summary>The last progress record this run wrote (its time is when), and whether anything worth recording happened since.</summary>
    private sealed class Checkpoint(ExporterProgress progress)
    {
        public ExporterProgress Progress = progress;
        public bool Changed;
    }

    private sealed class LeaseLost(string message) : Exception(message);

    /// <summary>Records progress when something changed and the interval has passed, or when the lease needs renewing.</summary>
    private async Task CheckpointAsync(ExporterDefinition exporter, ExporterRun run, Checkpoint checkpoint, long position, CancellationToken cancellationToken)
    {
        var now = Now;
        var renew = now >= checkpoint.Progress.LeaseUntil - _options.LeaseMs / 2;
        if (!renew && !(checkpoint.Changed && now - checkpoint.Progress.Timestamp >= _options.CheckpointIntervalMs)) return;
        var progress = await ClaimAsync(exporter, position, run.Trace, cancellationToken)
            ?? throw new LeaseLost("the exporter is paused, deleted or held by another node");
        checkpoint.Progress = progress;
        checkpoint.Changed = false;
    }

    /// <summary>Takes or renews the lease; null when this node may not run the exporter. A store failure is retried until the lease ends.</summary>
    private async Task<ExporterProgress?> ClaimAsync(ExporterDefinition exporter, long? position, string trace, CancellationToken cancellationToken)
    {
        var deadline = Now + _options.LeaseMs / 2;
        while (true)
        {
            try
            {
                return await engine.ExecuteAsync(s => decider.ClaimExporter(s, exporter, Node, position, trace, Lease), cancellationToken);
            }
            catch (RegistryException e) when (e.ErrorCode is not (Errors.StoreError or Errors.OperationTimeout))
            {
                return null;
            }
            catch (Exception e) when (e is RegistryException or Core.Events.NotWriterException && Now < deadline)
            {
                await Task.Delay(_options.PollIntervalMs, cancellationToken);
            }
            catch (Exception e) when (e is RegistryException or Core.Events.NotWriterException)
            {
                throw new LeaseLost("the lease could not be renewed: " + e.Message);
            }
        }
    }

    /// <summary>Registry:NodeId, else a name made once and kept in the data directory, so a restarted node keeps its leases.</summary>
    private static string NodeName(RegistryOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.NodeId)) return options.NodeId;
        var file = Path.Combine(options.DataDirectory, "node-id");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } kept) return kept;
        Directory.CreateDirectory(options.DataDirectory);
        var name = $"{Environment.MachineName}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        File.WriteAllText(file, name);
        return name;
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Exporter {Exporter} runs here from log position {Position} to {Url}")]
    private static partial void LogStarted(ILogger logger, string exporter, long position, string url);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Exporter {Exporter}: the destination refused a change or did not answer; retrying: {Reason}")]
    private static partial void LogApplyFailed(ILogger logger, string exporter, string reason);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Exporter {Exporter} stopped here: {Reason}")]
    private static partial void LogStopped(ILogger logger, string exporter, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Exporter {Exporter} failed; it starts again from its last recorded position: {Reason}")]
    private static partial void LogFailed(ILogger logger, string exporter, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Exporter {Exporter}: the lease could not be given up: {Reason}")]
    private static partial void LogReleaseFailed(ILogger logger, string exporter, string reason);
}

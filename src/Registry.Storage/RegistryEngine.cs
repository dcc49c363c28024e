using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.State;

namespace Registry.Storage;

/// <summary>
/// Holds the current snapshot and runs writes: decide against the snapshot, append at the expected
/// position, apply, publish. A conflicting append catches up and decides again. Reads take
/// <see cref="State"/> and never wait. With a shared store, <see cref="FollowAsync"/> applies what
/// other nodes append.
/// </summary>
public sealed class RegistryEngine(IRegistryLog log, TimeSpan writeTimeout, Microsoft.Extensions.Logging.ILogger? logger = null) : IAsyncDisposable
{
    // Held while the snapshot moves: by writes (decide, append, apply) and by catching up.
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile RegistryState _state = RegistryState.Empty;
    private volatile bool _replayed;
    private volatile bool _storeReachable;

    public RegistryState State => _state;

    /// <summary>Publishes this engine's position to /metrics.</summary>
    public void ExposeMetrics() => StorageMetrics.Position = () => _state.Position;

    /// <summary>True once the whole log has been replayed: reads are then answered from memory.</summary>
    public bool HasReplayed => _replayed;

    /// <summary>Replayed, and the last contact with the store succeeded.</summary>
    public bool IsReady => _replayed && _storeReachable;

    /// <summary>Opens the store and replays the log into memory.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await log.InitializeAsync(cancellationToken);
        await CatchUpAsync(cancellationToken);
        _replayed = true;
    }

    /// <summary>Decides and appends a command; returns once its events are durable and applied here.</summary>
    public async Task<T> ExecuteAsync<T>(Func<RegistryState, Decision<T>> decide, CancellationToken cancellationToken)
    {
        if (!_replayed) throw Errors.StoreErrorOf("The registry is still loading its log; try again shortly");
        // A store with one elected writer (Kafka): a node that is not it neither decides nor parses; the request goes on.
        if (log.ForwardTo is { } writer) throw new NotWriterException(writer);
        // Decide once against the current snapshot before taking the write lock: the expensive part of a decision
        // (parsing, compatibility checks) lands in the parse cache, so a huge schema does not hold up other writers.
        // Only the decision made under the lock counts; this one's result and errors are discarded.
        try
        {
            decide(_state);
        }
        catch (RegistryException)
        {
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(writeTimeout);
        try
        {
            await _lock.WaitAsync(timeout.Token);
            try
            {
                while (true)
                {
                    // The term may have ended while this write waited for the lock.
                    if (log.ForwardTo is { } current) throw new NotWriterException(current);
                    var state = _state;
                    var decision = decide(state);
                    if (decision.Events.IsDefaultOrEmpty) return decision.Result;
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    using var span = StorageMetrics.Tracing.StartActivity("registry.append");
                    span?.SetTag("registry.log.position", state.Position);
                    span?.SetTag("registry.events", decision.Events.Length);
                    try
                    {
                        var end = await log.AppendAsync(state.Position, decision.Events, timeout.Token);
                        RecordAppend(started, "ok");
                        _storeReachable = true;
                        var count = decision.Events.Length;
                        if (end < state.Position + count) throw new InvalidOperationException($"The log returned position {end} for {count} events after {state.Position}.");
                        // Positions one by one; the last takes the end the store reports (which may count its own way).
                        var next = state;
                        for (var i = 0; i < count; i++)
                            next = next.Apply(new LogEntry(i == count - 1 ? end : state.Position + i + 1, decision.Events[i]));
                        _state = next;
                        return decision.Result;
                    }
                    catch (LogConflictException)
                    {
                        RecordAppend(started, "conflict");
                        span?.SetTag("registry.append.outcome", "conflict");
                        // Another node appended first: apply what it wrote and decide again.
                        await CatchUpCoreAsync(timeout.Token);
                    }
                    catch (RegistryException e) when (e.ErrorCode == Errors.StoreError)
                    {
                        RecordAppend(started, "error");
                        span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                        _storeReachable = false;
                        throw;
                    }
                }
            }
            finally
            {
                _lock.Release();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The outcome may be unknown (the append may have committed). The next write or the follower
            // catches up before deciding, and a stale decision can only conflict, so retrying is safe.
            throw Errors.TimeoutError($"The write did not complete within {writeTimeout.TotalMilliseconds:0} ms; retrying is safe");
        }
    }

    /// <summary>Whether <see cref="ReadFromAsync"/> works on this store.</summary>
    public bool ReadsFromAnyPosition => log.ReadsFromAnyPosition;

    /// <summary>The log's entries after <paramref name="afterPosition"/>, read beside the snapshot (for exporters).</summary>
    public IAsyncEnumerable<LogEntry> ReadFromAsync(long afterPosition, CancellationToken cancellationToken) =>
        log.ReadsFromAnyPosition ? log.ReadAsync(afterPosition, cancellationToken) : throw new NotSupportedException("This store reads only from its own position");

    /// <summary>Applies every entry the log has past the current position.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await CatchUpCoreAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Follows the log until cancelled: wakes on a store notification or every <paramref name="pollInterval"/>,
    /// and applies what other nodes appended. Store failures make the node not ready until the next success.
    /// </summary>
    public async Task FollowAsync(TimeSpan pollInterval, Action<Exception>? onFailure, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!_replayed) await StartAsync(cancellationToken);
                await log.WaitForAppendAsync(pollInterval, cancellationToken);
                await CatchUpAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever went wrong, the follower keeps going and the node says it is not ready meanwhile.
                _storeReachable = false;
                StorageMetrics.FollowFailures.Add(1);
                onFailure?.Invoke(e);
                await Task.Delay(pollInterval, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static void RecordAppend(long started, string outcome) =>
        StorageMetrics.AppendSeconds.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    private async Task CatchUpCoreAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        var applied = 0L;
        await foreach (var entry in log.ReadAsync(state.Position, cancellationToken))
        {
            if (entry.Position <= state.Position) continue;
            var next = state.Apply(entry.Event);
            if (ReferenceEquals(next, state) && entry.Event is SchemaRegistered r && logger is not null)
                StorageLog.IgnoredRegistration(logger, entry.Position, r.Subject, r.Version, r.Id);
            state = next with { Position = entry.Position };
            applied++;
        }
        _state = state;
        if (applied > 0 && _replayed) StorageMetrics.EventsFollowed.Add(applied);
        _storeReachable = true;
    }

    public async ValueTask DisposeAsync()
    {
        await log.DisposeAsync();
        _lock.Dispose();
    }
}

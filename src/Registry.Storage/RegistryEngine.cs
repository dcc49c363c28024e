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

    /// <summary>
    /// Decides and appends a command; returns once its events are durable and applied here. Writes that arrive while
    /// another is being appended are group-committed: the next holder of the write lock decides every waiting
    /// command in arrival order, each against the state the ones before it leave, appends all their events in one
    /// append (one transaction, one fsync), and answers each only once that append is durable.
    /// </summary>
    /// <param name="warm">
    /// Run against the current snapshot before the write queues, in parallel with other writers: the expensive part of a
    /// decision that can be done ahead (parsing a schema into the parse cache), so a schema slow to parse does not hold up
    /// the batch (HugeSchemaTests). It decides nothing: each write is decided once, in its batch.
    /// </param>
    public async Task<T> ExecuteAsync<T>(Func<RegistryState, Decision<T>> decide, CancellationToken cancellationToken, Action<RegistryState>? warm = null)
    {
        if (!_replayed) throw Errors.StoreErrorOf("The registry is still loading its log; try again shortly");
        // A store with one elected writer (Kafka): a node that is not it neither decides nor parses; the request goes on.
        if (log.ForwardTo is { } writer) throw new NotWriterException(writer);
        warm?.Invoke(_state);
        var write = new PendingWrite<T>(decide);
        _queue.Enqueue(write);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(writeTimeout);
        try
        {
            await _lock.WaitAsync(timeout.Token);
            try
            {
                // Whoever holds the lock commits everything queued; this write may already be done by the one before.
                while (!write.IsDone && _queue.TryPeek(out _)) await CommitQueuedAsync();
            }
            finally
            {
                _lock.Release();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Not taken into a batch yet: it never will be. Taken: the outcome may be unknown (the append may have
            // committed). The next write or the follower catches up before deciding, so retrying is safe.
            write.Abandon();
            if (!write.IsDone) throw TimedOut();
        }
        catch (OperationCanceledException)
        {
            write.Abandon();
            if (!write.IsDone) throw;
        }
        return await write.Task;
    }

    private RegistryException TimedOut() =>
        Errors.TimeoutError($"The write did not complete within {writeTimeout.TotalMilliseconds:0} ms; retrying is safe");

    /// <summary>Takes up to <see cref="MaxBatch"/> queued writes, decides them in order and appends their events at once.</summary>
    private async Task CommitQueuedAsync()
    {
        var batch = new List<IPendingWrite>();
        while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
            if (next.TryTake()) batch.Add(next);
        if (batch.Count == 0) return;
        try
        {
            await CommitAsync(batch);
        }
        catch (Exception e)
        {
            // Whatever went wrong, no write of the batch is left unanswered.
            foreach (var w in batch) w.Fail(e);
            throw;
        }
    }

    private async Task CommitAsync(List<IPendingWrite> batch)
    {
        // The batch's own budget: a caller that gives up does not cancel the others' append.
        using var budget = new CancellationTokenSource(writeTimeout);
        while (true)
        {
            // The term may have ended while these writes waited.
            if (log.ForwardTo is { } current)
            {
                foreach (var w in batch) w.Fail(new NotWriterException(current));
                return;
            }
            var start = _state;
            var state = start;
            var events = new List<RegistryEvent>();
            foreach (var w in batch)
            {
                // Each decision sees the events of the ones before it in the batch.
                var decided = w.Decide(state);
                foreach (var e in decided) state = state.Apply(e);
                events.AddRange(decided);
            }
            if (events.Count == 0)
            {
                foreach (var w in batch) w.Complete();
                return;
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using var span = StorageMetrics.Tracing.StartActivity("registry.append");
            span?.SetTag("registry.log.position", start.Position);
            span?.SetTag("registry.events", events.Count);
            span?.SetTag("registry.writes", batch.Count);
            try
            {
                var end = await log.AppendAsync(start.Position, events, budget.Token);
                RecordAppend(started, "ok");
                StorageMetrics.BatchWrites.Record(batch.Count);
                _storeReachable = true;
                if (end < start.Position + events.Count) throw new InvalidOperationException($"The log returned position {end} for {events.Count} events after {start.Position}.");
                // The store reports where the log ends (it may count positions its own way).
                _state = state with { Position = end };
                foreach (var w in batch) w.Complete();
                return;
            }
            catch (LogConflictException)
            {
                RecordAppend(started, "conflict");
                span?.SetTag("registry.append.outcome", "conflict");
                // Another node appended first: apply what it wrote and decide the whole batch again.
                try
                {
                    await CatchUpCoreAsync(budget.Token);
                }
                catch (Exception e) when (e is RegistryException or OperationCanceledException)
                {
                    foreach (var w in batch) w.Fail(e is OperationCanceledException ? TimedOut() : e);
                    return;
                }
            }
            catch (RegistryException e) when (e.ErrorCode == Errors.StoreError)
            {
                RecordAppend(started, "error");
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                _storeReachable = false;
                foreach (var w in batch) w.Fail(e);
                return;
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested)
            {
                RecordAppend(started, "error");
                foreach (var w in batch) w.Fail(TimedOut());
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RecordAppend(started, "error");
                foreach (var w in batch) w.Fail(e);
                return;
            }
        }
    }

    /// <summary>Writes waiting for a batch (for tests and metrics).</summary>
    public int Queued => _queue.Count;

    /// <summary>Most writes decided and appended together. Default 256.</summary>
    public int MaxBatch { get; init; } = 256;

    private readonly System.Collections.Concurrent.ConcurrentQueue<IPendingWrite> _queue = new();

    /// <summary>A write waiting for a batch: decided in it, answered once the batch is durable (or failed).</summary>
    private interface IPendingWrite
    {
        /// <summary>Marks the write as taken into a batch; false when its caller gave up first.</summary>
        bool TryTake();

        /// <summary>Decides against <paramref name="state"/>; the outcome is kept for <see cref="Complete"/>.</summary>
        IReadOnlyList<RegistryEvent> Decide(RegistryState state);

        /// <summary>The batch is durable: answers with the decision's result or its error.</summary>
        void Complete();

        void Fail(Exception e);
    }

    private sealed class PendingWrite<T>(Func<RegistryState, Decision<T>> decide) : IPendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _taken;
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _done.Task;

        public bool IsDone => _done.Task.IsCompleted;

        public bool TryTake() => Interlocked.CompareExchange(ref _taken, 1, 0) == 0;

        /// <summary>The caller gave up: not taken yet, it never will be.</summary>
        public void Abandon() => Interlocked.CompareExchange(ref _taken, 2, 0);

        public IReadOnlyList<RegistryEvent> Decide(RegistryState state)
        {
            try
            {
                var decision = decide(state);
                (_result, _error) = (decision.Result, null);
                return decision.Events.IsDefault ? [] : decision.Events;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A refusal (or a bug) is this write's answer alone; its refusal may rest on earlier writes of the
                // batch, so it is given only once they are durable.
                (_result, _error) = (default, e);
                return [];
            }
        }

        public void Complete()
        {
            if (_error is not null) _done.TrySetException(_error);
            else _done.TrySetResult(_result!);
        }

        public void Fail(Exception e) => _done.TrySetException(e);
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

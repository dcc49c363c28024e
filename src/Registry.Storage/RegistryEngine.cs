using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.State;

namespace Registry.Storage;

/// <summary>
/// Holds the current snapshot and runs writes: decide against the snapshot, append at the expected
/// position, apply, publish. A conflicting append catches up and decides again. Reads take
/// <see cref="State"/> and never wait.
/// </summary>
public sealed class RegistryEngine(IRegistryLog log, TimeSpan writeTimeout, int maxConflictRetries = 10) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile RegistryState _state = RegistryState.Empty;
    private volatile bool _ready;

    public RegistryState State => _state;

    /// <summary>True once the log has been replayed.</summary>
    public bool IsReady => _ready;

    /// <summary>Replays the log into memory; the node is ready afterwards.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await log.InitializeAsync(cancellationToken);
        await CatchUpAsync(cancellationToken);
        _ready = true;
    }

    /// <summary>Decides and appends a command; returns once its events are durable and applied here.</summary>
    public async Task<T> ExecuteAsync<T>(Func<RegistryState, Decision<T>> decide, CancellationToken cancellationToken)
    {
        if (!_ready) throw Errors.StoreErrorOf("The registry is still loading its log; try again shortly");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(writeTimeout);
        try
        {
            await _writeLock.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Errors.TimeoutError($"Timed out after {writeTimeout.TotalMilliseconds:0} ms waiting for other writes to finish");
        }
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var state = _state;
                var decision = decide(state);
                if (decision.Events.IsDefaultOrEmpty) return decision.Result;
                try
                {
                    var end = await log.AppendAsync(state.Position, decision.Events, timeout.Token);
                    var next = state;
                    var position = state.Position;
                    foreach (var e in decision.Events) next = next.Apply(new LogEntry(++position, e));
                    if (position != end) throw new InvalidOperationException($"The log returned position {end}, expected {position}.");
                    _state = next;
                    return decision.Result;
                }
                catch (LogConflictException) when (attempt < maxConflictRetries)
                {
                    await CatchUpAsync(timeout.Token);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The outcome is unknown: the append may have committed. Re-read so memory matches the store.
            await CatchUpAsync(CancellationToken.None);
            throw Errors.TimeoutError($"The write did not complete within {writeTimeout.TotalMilliseconds:0} ms; retrying is safe");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Applies every entry the log has past the current position.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        await foreach (var entry in log.ReadAsync(state.Position, cancellationToken)) state = state.Apply(entry);
        _state = state;
    }

    public async ValueTask DisposeAsync()
    {
        await log.DisposeAsync();
        _writeLock.Dispose();
    }
}

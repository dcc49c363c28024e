using Microsoft.Extensions.Options;
using Registry.Core.Decisions;
using Registry.Core.State;
using Registry.Storage;

namespace Registry.Server.Hosting;

/// <summary>What every endpoint needs: the snapshot to read, the decider, and the engine that applies writes.</summary>
public sealed class RegistryService(RegistryEngine engine, RegistryDecider decider, IOptions<RegistryOptions> options, Usage.UsageTracker usage)
{
    /// <summary>Observed usage of schema ids on this node.</summary>
    public Usage.UsageTracker Usage => usage;

    /// <summary>The snapshot reads use; 50001 until the log has been replayed once (an empty snapshot would lie).</summary>
    public RegistryState State => engine.HasReplayed
        ? engine.State
        : throw Core.Errors.StoreErrorOf("The registry has not finished loading its log; try again shortly");

    public RegistryDecider Decider => decider;

    public RegistryOptions Options => options.Value;

    public bool IsReady => engine.IsReady;

    /// <summary>Whether the store lets exporters read the log from their own positions.</summary>
    public bool ReadsFromAnyPosition => engine.ReadsFromAnyPosition;

    /// <summary>
    /// A change, decided and appended. A decision that would append while the memory budget is nearly full
    /// (<see cref="MemoryBudgetRefusal"/>) is refused with 50001; one that changes nothing (a serializer registering a
    /// schema the subject already has) is answered as ever.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<RegistryState, Decision<T>> decide, CancellationToken cancellationToken, Action<RegistryState>? warm = null) =>
        engine.ExecuteAsync(state =>
        {
            var decision = decide(state);
            if (decision.Events.Length > 0 && MemoryBudgetRefusal(options.Value) is { } refusal) throw Core.Errors.StoreErrorOf(refusal);
            return decision;
        }, cancellationToken, warm);

    /// <summary>
    /// Why changes are refused, or null: with <c>Registry:MemoryBudgetBytes</c> set, the heap the last full collection
    /// left (the live data, as near as the collector knows it; the last collection of any kind before a full one has
    /// run) must stay under <c>MemoryBudgetWritePercent</c> of the budget. Past it the collector would thrash and an
    /// allocation would fail in the middle of a request; refusing changes first keeps every read working and leaves what
    /// is stored as it is.
    /// </summary>
    internal static string? MemoryBudgetRefusal(RegistryOptions o)
    {
        if (o.MemoryBudgetBytes <= 0) return null;
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        if (background.Index > info.Index) info = background;
        if (info.Index == 0) info = GC.GetGCMemoryInfo(GCKind.Any);
        var live = info.HeapSizeBytes - info.FragmentedBytes;
        var limit = o.MemoryBudgetBytes / 100 * o.MemoryBudgetWritePercent;
        return live < limit ? null
            : $"Changes are refused: the registry's heap held {live >> 20} MiB after its last collection, over {o.MemoryBudgetWritePercent}% of "
              + $"Registry:MemoryBudgetBytes ({o.MemoryBudgetBytes >> 20} MiB). Reads go on; raise the budget and restart the node";
    }

    /// <summary>Reads the log to its end: what another node wrote before this moment is in <see cref="State"/> after it.</summary>
    public Task CatchUpAsync(CancellationToken cancellationToken) => engine.CatchUpAsync(cancellationToken);

    /// <summary>Applies offset and limit as Confluent does (limit -1 = all), bounded by MaxListSize.</summary>
    public IEnumerable<T> Page<T>(IEnumerable<T> items, int? offset, int? limit)
    {
        var max = Options.MaxListSize;
        var take = limit is null or <= 0 ? max : Math.Min(limit.Value, max);
        return items.Skip(Math.Max(0, offset ?? 0)).Take(take);
    }
}

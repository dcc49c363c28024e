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

    public Task<T> ExecuteAsync<T>(Func<RegistryState, Decision<T>> decide, CancellationToken cancellationToken) =>
        engine.ExecuteAsync(decide, cancellationToken);

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

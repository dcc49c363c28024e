using System.Collections.Immutable;
using Registry.Core.Events;

namespace Registry.Core.Decisions;

/// <summary>The outcome of a command: its result and the events to append (none when nothing changes).</summary>
public sealed record Decision<T>(T Result, ImmutableArray<RegistryEvent> Events)
{
    public static Decision<T> NoChange(T result) => new(result, []);
}

namespace Registry.Core.Events;

/// <summary>An event at its position in the log (positions start at 1 and have no gaps within a store).</summary>
public readonly record struct LogEntry(long Position, RegistryEvent Event);

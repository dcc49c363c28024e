namespace Registry.Core.Events;

/// <summary>The one ordered log every store implements.</summary>
public interface IRegistryLog : IAsyncDisposable
{
    /// <summary>Opens the store, creating its schema objects on first start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the events atomically if the log ends at <paramref name="expectedPosition"/>, and returns the new
    /// end position once the events are durable: at least <paramref name="expectedPosition"/> plus the number of
    /// events (a store may count positions its own way, e.g. Kafka offsets). Throws <see cref="LogConflictException"/>
    /// when another writer appended first, or when this node has not read the whole log.
    /// </summary>
    Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Returns when another writer may have appended (a notification), or after <paramref name="maxWait"/>
    /// at the latest; callers then read. A single-process store just waits.
    /// </summary>
    Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>Reads the entries after <paramref name="afterPosition"/>, in order.</summary>
    IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, CancellationToken cancellationToken);

    /// <summary>
    /// Null when this node may append. A store with one elected writer (Kafka) returns where writes go instead:
    /// the writer's URL, or an empty string while no writer is known.
    /// </summary>
    string? ForwardTo => null;

    /// <summary>
    /// Whether <see cref="ReadAsync"/> reads on from any position it gave, at any time, beside the engine's own reading
    /// (exporters do). A store whose positions are this node's own count (Kafka) reads only from where it is.
    /// </summary>
    bool ReadsFromAnyPosition => true;
}

/// <summary>This node does not write to the store; the request goes to <see cref="WriterUrl"/> (empty while none is known).</summary>
public sealed class NotWriterException(string writerUrl)
    : Exception(writerUrl.Length == 0 ? "No writer is known yet." : $"Writes go to {writerUrl}.")
{
    public string WriterUrl { get; } = writerUrl;
}

/// <summary>The log has moved past the position a decision was made at.</summary>
public sealed class LogConflictException(long expected, long actual)
    : Exception($"The log is at position {actual}, not {expected}.")
{
    public long Actual { get; } = actual;
}

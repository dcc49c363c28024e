namespace Registry.Core.Events;

/// <summary>The one ordered log every store implements.</summary>
public interface IRegistryLog : IAsyncDisposable
{
    /// <summary>
    /// True when <see cref="AppendAsync"/> refuses to append unless the log ends at the expected position
    /// (positions then have no gaps). False for a log where every proposal is appended and the log order
    /// decides (Kafka): the writer must read back to learn whether its events took effect.
    /// </summary>
    bool AppendIsConditional { get; }

    /// <summary>Opens the store, creating its schema objects on first start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends the events atomically if the log ends at <paramref name="expectedPosition"/> (only when
    /// <see cref="AppendIsConditional"/>), and returns the new end position once the events are durable.
    /// Throws <see cref="LogConflictException"/> when another writer appended first.
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

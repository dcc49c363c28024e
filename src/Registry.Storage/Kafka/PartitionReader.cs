using Confluent.Kafka;
using Registry.Core;

namespace Registry.Storage.Kafka;

/// <summary>Reads one single-partition topic up to its end offset, from a position it remembers (the next offset).</summary>
internal sealed class PartitionReader(string bootstrapServers, string topic, TimeSpan timeout) : IDisposable
{
    private IConsumer<string?, string?>? _consumer;

    public TopicPartition Partition { get; } = new(topic, 0);

    /// <summary>The next offset to read.</summary>
    public long Next { get; private set; }

    public void Open()
    {
        _consumer ??= new ConsumerBuilder<string?, string?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "registry-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            // Never skip silently past records the broker no longer has: fail the read instead.
            AutoOffsetReset = AutoOffsetReset.Error,
            EnablePartitionEof = true,
            // Records of a writer that was fenced before it committed are not part of the log.
            IsolationLevel = IsolationLevel.ReadCommitted,
            // A node that forwarded a write reads to the writer's records before answering: do not let the broker sit on fetches.
            FetchWaitMaxMs = 10,
            ReconnectBackoffMaxMs = 1000,
        }).Build();
        Seek(0);
    }

    public void Seek(long next)
    {
        Consumer.Assign(new TopicPartitionOffset(Partition, new Offset(next)));
        Next = next;
    }

    /// <summary>Moves on past records this node wrote itself (and applied when it wrote them) without a new fetch: they are skipped when they arrive.</summary>
    public void SkipTo(long next)
    {
        if (next > Next) Next = next;
    }

    /// <summary>The records from <see cref="Next"/> up to <paramref name="high"/> (the end offset the broker reported).</summary>
    public IEnumerable<ConsumeResult<string?, string?>> ReadTo(long high, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Next < high)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline) throw Errors.StoreErrorOf($"Timed out reading the Kafka store ({topic}) at offset {Next} of {high}");
            ConsumeResult<string?, string?>? result;
            try
            {
                result = Consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e)
            {
                throw Errors.StoreErrorOf($"Error while reading the Kafka store ({topic}): {e.Error.Reason}");
            }
            if (result is null) continue;
            if (result.Offset.Value < Next) continue; // written by this node, already applied
            if (result.IsPartitionEOF)
            {
                // Compaction and transaction markers leave offsets without records.
                Next = Math.Max(Next, result.Offset.Value);
                continue;
            }
            Next = result.Offset.Value + 1;
            yield return result;
        }
    }

    private IConsumer<string?, string?> Consumer => _consumer ?? throw new InvalidOperationException("The Kafka store is not open.");

    public void Dispose()
    {
        _consumer?.Close();
        _consumer?.Dispose();
    }
}

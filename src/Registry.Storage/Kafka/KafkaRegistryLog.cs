using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Registry.Core;
using Registry.Core.Events;

namespace Registry.Storage.Kafka;

/// <summary>
/// The registry log in a single-partition compacted topic in Confluent's <c>_schemas</c> format. There is
/// no leader: a node proposes its records by producing them (idempotent, acks=all) and reads back up to
/// them; the log order decides which proposal wins (see docs/kafka.md). Positions are offsets + 1.
/// </summary>
public sealed class KafkaRegistryLog(string bootstrapServers, string topic, short replicationFactor, TimeSpan timeout) : IRegistryLog
{
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private readonly TopicPartition _partition = new(topic, 0);
    private IProducer<string, string?>? _producer;
    private IConsumer<string?, string?>? _consumer;
    private long _next = -1;

    public bool AppendIsConditional => false;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, SocketTimeoutMs = (int)timeout.TotalMilliseconds }).Build())
            {
                // Metadata for all topics: asking for the topic by name can auto-create it with the broker's defaults.
                var existing = admin.GetMetadata(timeout).Topics.FirstOrDefault(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError);
                if (existing is null) await CreateTopicAsync(admin);
                var partitions = admin.GetMetadata(topic, timeout).Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Count ?? 0;
                if (partitions != 1)
                    throw Errors.StoreErrorOf($"The topic {topic} has {partitions} partitions; the registry log needs exactly one");
            }
            _producer ??= new ProducerBuilder<string, string?>(new ProducerConfig
            {
                BootstrapServers = bootstrapServers,
                Acks = Acks.All,
                EnableIdempotence = true,
                LingerMs = 0,
                MessageTimeoutMs = (int)timeout.TotalMilliseconds,
                ReconnectBackoffMaxMs = 1000,
            }).Build();
            _consumer ??= new ConsumerBuilder<string?, string?>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = "registry-reader-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
                EnableAutoOffsetStore = false,
                // Never skip silently past records the broker no longer has: fail the read instead.
                AutoOffsetReset = AutoOffsetReset.Error,
                EnablePartitionEof = true,
                // A writer reads back to its own record before answering: do not let the broker sit on fetches.
                FetchWaitMaxMs = 10,
                ReconnectBackoffMaxMs = 1000,
            }).Build();
        }
        catch (KafkaException e)
        {
            throw Errors.StoreErrorOf($"Cannot reach the Kafka store at {bootstrapServers}: {e.Error.Reason}");
        }
    }

    private async Task CreateTopicAsync(IAdminClient admin)
    {
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                ReplicationFactor = replicationFactor,
                Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
            }], new CreateTopicsOptions { OperationTimeout = timeout, RequestTimeout = timeout });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
        }
    }

    public async Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var producer = _producer ?? throw new InvalidOperationException("The Kafka store is not open.");
        long last = -1;
        try
        {
            // Produced together so they travel in one batch; the idempotent producer keeps their order.
            // Kafka has no atomic multi-record append without transactions: a failure can leave a prefix
            // written (only multi-record changes such as a permanent subject delete can be cut; repeating them is safe).
            var sends = events.Select(e =>
            {
                var (key, value) = SchemasTopicFormat.Encode(e);
                return producer.ProduceAsync(_partition, new Message<string, string?> { Key = key, Value = value }, cancellationToken);
            }).ToList();
            foreach (var send in sends) last = Math.Max(last, (await send).Offset.Value);
        }
        catch (ProduceException<string, string?> e)
        {
            throw Errors.StoreErrorOf($"Error while writing to the Kafka store: {e.Error.Reason}");
        }
        return last + 1;
    }

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var consumer = _consumer ?? throw new InvalidOperationException("The Kafka store is not open.");
        await _readLock.WaitAsync(cancellationToken);
        try
        {
            long high;
            try
            {
                if (_next != afterPosition)
                {
                    consumer.Assign(new TopicPartitionOffset(_partition, new Offset(afterPosition)));
                    _next = afterPosition;
                }
                high = consumer.QueryWatermarkOffsets(_partition, timeout).High.Value;
            }
            catch (KafkaException e)
            {
                throw Errors.StoreErrorOf($"Error while reading the Kafka store: {e.Error.Reason}");
            }
            var deadline = DateTime.UtcNow + timeout;
            while (_next < high)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline) throw Errors.StoreErrorOf($"Timed out reading the Kafka store at offset {_next} of {high}");
                ConsumeResult<string?, string?>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e)
                {
                    throw Errors.StoreErrorOf($"Error while reading the Kafka store: {e.Error.Reason}");
                }
                if (result is null) continue;
                if (result.IsPartitionEOF)
                {
                    // Compaction or transaction markers can leave the last offsets without records.
                    _next = Math.Max(_next, result.Offset.Value);
                    if (_next >= high) break;
                    continue;
                }
                var offset = result.Offset.Value;
                _next = offset + 1;
                var decoded = SchemasTopicFormat.Decode(result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
                yield return new LogEntry(offset + 1, decoded);
            }
            // Let a caller that waited for position `high` see it even when the last offsets held no records.
            if (_next < high) _next = high;
        }
        finally
        {
            _readLock.Release();
        }
    }

    public Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _producer?.Flush(TimeSpan.FromSeconds(2));
        _producer?.Dispose();
        _consumer?.Close();
        _consumer?.Dispose();
        _readLock.Dispose();
        return ValueTask.CompletedTask;
    }
}

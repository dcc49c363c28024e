using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Registry.Core;
using Registry.Core.Events;

namespace Registry.Storage.Kafka;

/// <summary>
/// The registry log on Kafka: Confluent's <c>_schemas</c> topic (byte for byte) plus our own registry topic for
/// record kinds Confluent has none for. One elected node writes, through a transactional producer that fences
/// the writer before it; the others forward writes to it (docs/kafka.md). The writer reads both topics to their
/// end when it becomes the writer and after any failed write; then, as the only writer, it applies its own
/// records when they are committed and appends only at the position it has applied.
/// Positions: the next offsets of both topics, <c>(schemas &lt;&lt; 28) | registry</c>, which grow with every record.
/// </summary>
public sealed class KafkaRegistryLog : IRegistryLog
{
    private readonly KafkaLogSettings _settings;
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private readonly PartitionReader _schemas;
    private readonly PartitionReader _registry;
    private readonly KafkaWriterElection _election;
    // Per key of _schemas: the value members we do not model (kept on rewrites), and the key's bytes when a
    // foreign writer spelled them differently (tombstoned with ours, so compaction removes both).
    private readonly Dictionary<string, JsonObject> _unknown = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _foreignKeys = new(StringComparer.Ordinal);
    // Gateway policies written by earlier versions into _schemas under a keytype Confluent cannot read: moved on the next write.
    private readonly Dictionary<string, (string Key, string? Value)> _legacyPolicies = new(StringComparer.Ordinal);
    private readonly HashSet<string> _registryPolicies = new(StringComparer.Ordinal);
    private volatile string? _writerUrl;
    // End offsets come from the admin client: a consumer's own query waits behind its long-polling fetch.
    private IAdminClient? _admin;
    // The position this node has applied (read, or appended as the writer), and the writer term in which it read the whole log.
    private long _current;
    private int _currentEpoch = -1;
    private bool _opened;

    public KafkaRegistryLog(KafkaLogSettings settings)
    {
        _settings = settings;
        _schemas = new PartitionReader(settings.BootstrapServers, settings.Topic, settings.Timeout);
        _registry = new PartitionReader(settings.BootstrapServers, settings.EffectiveRegistryTopic, settings.Timeout);
        _election = new KafkaWriterElection(settings) { BecameWriter = Announce };
    }

    /// <inheritdoc />
    public string? ForwardTo => _election.IsWriter ? null
        // A node that lost its term may still see itself named as the writer: that is no writer to forward to.
        : _writerUrl is { } url && url != _settings.AdvertisedUrl() ? url : "";

    /// <summary>Whether this node is the elected writer (within its lease).</summary>
    public bool IsWriter => _election.IsWriter;

    private const int RegistryBits = 28;

    /// <summary>A position for the next offsets of both topics: ordered as (schemas, registry), and decoded back by <see cref="Offsets"/>.</summary>
    private static long PositionOf(long schemas, long registry) =>
        registry < 1L << RegistryBits ? schemas << RegistryBits | registry
            : throw Errors.StoreErrorOf($"The registry topic is past offset {1L << RegistryBits}, more than positions can count");

    private static (long Schemas, long Registry) Offsets(long position) => (position >> RegistryBits, position & ((1L << RegistryBits) - 1));

    private long Position => PositionOf(_schemas.Next, _registry.Next);

    /// <summary>Waits until this node is the elected writer; false when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitForWriterAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsWriter)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20, cancellationToken);
        }
        return true;
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_opened) return;
        try
        {
            var admin = _admin ??= new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _settings.BootstrapServers, SocketTimeoutMs = (int)_settings.Timeout.TotalMilliseconds }).Build();
            {
                foreach (var topic in new[] { _settings.Topic, _settings.EffectiveRegistryTopic })
                {
                    // Metadata for all topics: asking for the topic by name can auto-create it with the broker's defaults.
                    var existing = admin.GetMetadata(_settings.Timeout).Topics.FirstOrDefault(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError);
                    if (existing is null) await CreateTopicAsync(admin, topic);
                    var partitions = admin.GetMetadata(topic, _settings.Timeout).Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Count ?? 0;
                    if (partitions != 1)
                        throw Errors.StoreErrorOf($"The topic {topic} has {partitions} partitions; the registry log needs exactly one");
                }
            }
            _schemas.Open();
            _registry.Open();
        }
        catch (KafkaException e)
        {
            throw Errors.StoreErrorOf($"Cannot reach the Kafka store at {_settings.BootstrapServers}: {e.Error.Reason}");
        }
        _election.Start();
        _opened = true;
    }

    private async Task CreateTopicAsync(IAdminClient admin, string topic)
    {
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                ReplicationFactor = _settings.ReplicationFactor,
                Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
            }], new CreateTopicsOptions { OperationTimeout = _settings.Timeout, RequestTimeout = _settings.Timeout });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
        }
    }

    public async Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        // Only a decision taken on the whole log may be appended: read it in this writer term, and applied up to here.
        if (_currentEpoch != _election.Epoch || expectedPosition != _current) throw new LogConflictException(expectedPosition, _current);
        var records = Records(events);
        var end = await _election.WithProducerAsync(async producer =>
        {
            try
            {
                producer.BeginTransaction();
                var (schemasEnd, registryEnd) = Offsets(_current);
                // Produced together in one transaction: they become visible together, or (fenced) not at all.
                var sends = records.Select(r => producer.ProduceAsync(new TopicPartition(r.Topic, 0), new Message<string, string?>
                {
                    Key = r.Key,
                    Value = r.Value,
                    // A registration's time is its record's timestamp on every reader, so the writer, which applies it as decided, agrees.
                    Timestamp = r.Event is SchemaRegistered { Timestamp: > 0 } registered ? new Timestamp(registered.Timestamp, TimestampType.CreateTime) : Timestamp.Default,
                }, cancellationToken)).ToList();
                foreach (var send in sends)
                {
                    var report = await send;
                    if (report.Topic == _settings.Topic) schemasEnd = Math.Max(schemasEnd, report.Offset.Value + 1);
                    else registryEnd = Math.Max(registryEnd, report.Offset.Value + 1);
                }
                producer.CommitTransaction(_settings.Timeout);
                return PositionOf(schemasEnd, registryEnd);
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException)
            {
                _currentEpoch = -1;
                throw Fail(producer, e);
            }
        }, cancellationToken);
        if (end is not { } position) throw new NotWriterException(_writerUrl ?? "");
        foreach (var (topic, key, value, e) in records) Track(topic, key, value, e, null, read: false);
        _current = position;
        return position;
    }

    private RegistryException Fail(IProducer<string, string?> producer, Exception e)
    {
        var error = (e as KafkaException)?.Error;
        if (error is { IsFatal: true } || error?.Code is ErrorCode.ProducerFenced or ErrorCode.InvalidProducerEpoch or ErrorCode.TransactionalIdAuthorizationFailed)
        {
            // Another node became the writer: this one must not write again until the group elects it afresh.
            _election.Abdicate();
            return Errors.StoreErrorOf($"This node is no longer the writer of the Kafka store ({error?.Reason ?? e.Message}); retry the request");
        }
        try
        {
            producer.AbortTransaction(_settings.Timeout);
        }
        catch (KafkaException)
        {
            _election.Abdicate();
        }
        return Errors.StoreErrorOf($"Error while writing to the Kafka store: {error?.Reason ?? e.Message}");
    }

    /// <summary>The records of a write, with what the write must also carry: tombstones under foreign key spellings, and moved legacy policies.</summary>
    private List<(string Topic, string Key, string? Value, RegistryEvent Event)> Records(IReadOnlyList<RegistryEvent> events)
    {
        var records = new List<(string Topic, string Key, string? Value, RegistryEvent Event)>();
        foreach (var e in events)
        {
            if (SchemasTopicFormat.KeyOf(e) is { } key)
            {
                var (_, value) = SchemasTopicFormat.Encode(e, _unknown.GetValueOrDefault(key));
                if (value is null && _foreignKeys.TryGetValue(key, out var foreign)) records.Add((_settings.Topic, foreign, null, e));
                records.Add((_settings.Topic, key, value, e));
            }
            else if (RegistryTopicFormat.KeyOf(e) is not null)
            {
                var (k, v) = RegistryTopicFormat.Encode(e);
                records.Add((_settings.EffectiveRegistryTopic, k, v, e));
            }
        }
        foreach (var (topic, (legacyKey, value)) in _legacyPolicies)
        {
            if (!_registryPolicies.Contains(topic) && !events.Any(e => e is PolicySet p && p.Topic == topic || e is PolicyDeleted d && d.Topic == topic))
            {
                records.Add((_settings.EffectiveRegistryTopic, RegistryTopicFormat.KeyOf(new PolicyDeleted(topic))!, value, new PolicySet(topic, new Core.Model.TopicPolicy())));
            }
            records.Add((_settings.Topic, legacyKey, null, new PolicyDeleted(topic)));
        }
        return records;
    }

    /// <summary>Announces this node as the writer (on the election thread, right after fencing).</summary>
    private void Announce(IProducer<string, string?> producer)
    {
        var url = _settings.AdvertisedUrl() ?? throw new InvalidOperationException("no advertised URL");
        var (key, value) = RegistryTopicFormat.Writer(url, Environment.MachineName + "/" + Environment.ProcessId);
        producer.BeginTransaction();
        producer.Produce(new TopicPartition(_settings.EffectiveRegistryTopic, 0), new Message<string, string?> { Key = key, Value = value });
        producer.CommitTransaction(_settings.Timeout);
        _writerUrl = url;
        StorageLog.BecameWriter(_settings.Logger, url);
    }

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_opened) throw new InvalidOperationException("The Kafka store is not open.");
        await _readLock.WaitAsync(cancellationToken);
        try
        {
            // The writer, once it has read the whole log in its term, is the only one appending: there is nothing
            // it has not applied (a real broker fences any other producer), so it does not read its own records back.
            if (afterPosition == _current && _currentEpoch == _election.Epoch && _election.IsWriter)
            {
                // Still ask the broker for the end offsets: a writer that cannot reach it is not ready either.
                await EndOffsetsAsync();
                yield break;
            }
            var (s, r) = Offsets(afterPosition);
            if (s < _schemas.Next || r < _registry.Next)
            {
                // Back to where the caller is: the start, or where a read that failed midway began.
                _schemas.Seek(s);
                _registry.Seek(r);
            }
            // Past the records this node appended as the writer (applied already), when the caller is there.
            _schemas.SkipTo(s);
            _registry.SkipTo(r);
            var epoch = _election.Epoch;
            var writer = _election.IsWriter;
            var last = afterPosition;
            var (schemasEnd, registryEnd) = await EndOffsetsAsync();
            // _schemas first, then our topic, so that a policy moved out of _schemas is read before its newer versions.
            foreach (var result in _schemas.ReadTo(schemasEnd, cancellationToken))
            {
                var e = FromSchemas(result);
                yield return new LogEntry(last = Position, e);
            }
            foreach (var result in _registry.ReadTo(registryEnd, cancellationToken))
            {
                var e = FromRegistry(result);
                yield return new LogEntry(last = Position, e);
            }
            // Offsets without records (transaction markers, compacted records) moved the end: they take a position too.
            if (Position > last) yield return new LogEntry(last = Position, new LogNoop());
            _current = last;
            // Read to the end after becoming the writer: from now on its own appends are all the log gets.
            if (writer && epoch == _election.Epoch) _currentEpoch = epoch;
        }
        finally
        {
            _readLock.Release();
        }
    }

    /// <summary>The end offsets of both topics for a read-committed reader (the last stable offsets), in one request.</summary>
    private async Task<(long Schemas, long Registry)> EndOffsetsAsync()
    {
        try
        {
            var result = await _admin!.ListOffsetsAsync(
                [new TopicPartitionOffsetSpec { TopicPartition = _schemas.Partition, OffsetSpec = OffsetSpec.Latest() },
                 new TopicPartitionOffsetSpec { TopicPartition = _registry.Partition, OffsetSpec = OffsetSpec.Latest() }],
                new ListOffsetsOptions { IsolationLevel = IsolationLevel.ReadCommitted, RequestTimeout = _settings.Timeout });
            long End(TopicPartition p) => result.ResultInfos.Single(i => i.TopicPartitionOffsetError.TopicPartition == p).TopicPartitionOffsetError.Offset.Value;
            return (End(_schemas.Partition), End(_registry.Partition));
        }
        catch (KafkaException e)
        {
            throw Errors.StoreErrorOf($"Error while reading the Kafka store: {e.Error.Reason}");
        }
    }

    private RegistryEvent FromSchemas(ConsumeResult<string?, string?> result)
    {
        var record = SchemasTopicFormat.Decode(result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
        if (record.Event is LogNoop { Reason: { } reason })
            StorageLog.SkippedRecord(_settings.Logger, _settings.Topic, result.Offset.Value, reason);
        Track(_settings.Topic, result.Message.Key, result.Message.Value, record.Event, record.Unknown, read: true);
        return record.Event;
    }

    private RegistryEvent FromRegistry(ConsumeResult<string?, string?> result)
    {
        var (e, writer) = RegistryTopicFormat.Decode(result.Message.Key, result.Message.Value);
        if (e is LogNoop { Reason: { } reason } && writer is null)
            StorageLog.SkippedRecord(_settings.Logger, _settings.EffectiveRegistryTopic, result.Offset.Value, reason);
        if (writer is not null) _writerUrl = writer;
        Track(_settings.EffectiveRegistryTopic, result.Message.Key, result.Message.Value, e, null, read: true);
        return e;
    }

    /// <summary>
    /// What the store remembers of a record, read (<paramref name="read"/>) or written by this node: members we do
    /// not model, foreign spellings of keys, and where policies live.
    /// </summary>
    private void Track(string topic, string? rawKey, string? value, RegistryEvent e, JsonObject? unknown, bool read)
    {
        if (topic != _settings.Topic)
        {
            if (e is PolicySet p) _registryPolicies.Add(p.Topic);
            return;
        }
        if (e is PolicySet legacy && read && rawKey is not null && value is not null) _legacyPolicies[legacy.Topic] = (rawKey, value);
        // A tombstone is a deletion by an earlier version, or our own move: either way the registry topic, read after, has the last word.
        if (e is PolicyDeleted gone) _legacyPolicies.Remove(gone.Topic);
        if (SchemasTopicFormat.KeyOf(e) is not { } canonical) return;
        if (value is null)
        {
            _unknown.Remove(canonical);
            _foreignKeys.Remove(canonical);
            return;
        }
        // Our own rewrites kept the members we do not model, under our key; a record we read says afresh what they are.
        if (!read) return;
        if (rawKey is not null && rawKey != canonical) _foreignKeys[canonical] = rawKey;
        if (unknown is not null) _unknown[canonical] = unknown;
        else _unknown.Remove(canonical);
    }

    public Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _election.Dispose();
        _admin?.Dispose();
        _schemas.Dispose();
        _registry.Dispose();
        _readLock.Dispose();
        return ValueTask.CompletedTask;
    }
}

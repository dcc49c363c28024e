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
/// end before it decides, so every decision sees every committed record.
/// Positions: the sum of the next offsets of both topics, which grows with every record read.
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
    private (long Schemas, long Registry) _readStart;
    private (long Schemas, long Registry) _lastEntry;
    private volatile string? _writerUrl;
    private bool _opened;

    public KafkaRegistryLog(KafkaLogSettings settings)
    {
        _settings = settings;
        _schemas = new PartitionReader(settings.BootstrapServers, settings.Topic, settings.Timeout);
        _registry = new PartitionReader(settings.BootstrapServers, settings.EffectiveRegistryTopic, settings.Timeout);
        _election = new KafkaWriterElection(settings) { BecameWriter = Announce };
    }

    public bool AppendIsConditional => false;

    /// <inheritdoc />
    public string? ForwardTo => _election.IsWriter ? null : _writerUrl ?? "";

    /// <summary>Whether this node is the elected writer (within its lease).</summary>
    public bool IsWriter => _election.IsWriter;

    private long Position => _schemas.Next + _registry.Next;

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
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _settings.BootstrapServers, SocketTimeoutMs = (int)_settings.Timeout.TotalMilliseconds }).Build())
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
        var records = Records(events);
        var end = await _election.WithProducerAsync(async producer =>
        {
            try
            {
                producer.BeginTransaction();
                long schemasEnd = _schemas.Next, registryEnd = _registry.Next;
                // Produced together in one transaction: they become visible together, or (fenced) not at all.
                var sends = records.Select(r => producer.ProduceAsync(new TopicPartition(r.Topic, 0), new Message<string, string?> { Key = r.Key, Value = r.Value }, cancellationToken)).ToList();
                foreach (var send in sends)
                {
                    var report = await send;
                    if (report.Topic == _settings.Topic) schemasEnd = Math.Max(schemasEnd, report.Offset.Value + 1);
                    else registryEnd = Math.Max(registryEnd, report.Offset.Value + 1);
                }
                producer.CommitTransaction(_settings.Timeout);
                return (object)(schemasEnd + registryEnd);
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException)
            {
                throw Fail(producer, e);
            }
        }, cancellationToken);
        return end is long position ? position : throw new NotWriterException(_writerUrl ?? "");
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
    private List<(string Topic, string Key, string? Value)> Records(IReadOnlyList<RegistryEvent> events)
    {
        var records = new List<(string Topic, string Key, string? Value)>();
        foreach (var e in events)
        {
            if (SchemasTopicFormat.KeyOf(e) is { } key)
            {
                var (_, value) = SchemasTopicFormat.Encode(e, _unknown.GetValueOrDefault(key));
                if (value is null && _foreignKeys.TryGetValue(key, out var foreign)) records.Add((_settings.Topic, foreign, null));
                records.Add((_settings.Topic, key, value));
            }
            else if (RegistryTopicFormat.KeyOf(e) is not null)
            {
                var (k, v) = RegistryTopicFormat.Encode(e);
                records.Add((_settings.EffectiveRegistryTopic, k, v));
            }
        }
        foreach (var (topic, (legacyKey, value)) in _legacyPolicies)
        {
            if (!_registryPolicies.Contains(topic) && !events.Any(e => e is PolicySet p && p.Topic == topic || e is PolicyDeleted d && d.Topic == topic))
            {
                var (k, _) = RegistryTopicFormat.Encode(new PolicyDeleted(topic));
                records.Add((_settings.EffectiveRegistryTopic, k, value));
            }
            records.Add((_settings.Topic, legacyKey, null));
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
    }

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_opened) throw new InvalidOperationException("The Kafka store is not open.");
        await _readLock.WaitAsync(cancellationToken);
        try
        {
            if (afterPosition != Position)
            {
                // The caller is at the last entry it was given (trailing commit markers moved us on), or back where
                // the previous read began (that read failed midway), or at the start.
                var (s, r) = afterPosition == 0 ? (0L, 0L)
                    : afterPosition == _lastEntry.Schemas + _lastEntry.Registry ? _lastEntry
                    : afterPosition == _readStart.Schemas + _readStart.Registry ? _readStart
                    : throw new InvalidOperationException($"The Kafka store cannot resume at position {afterPosition}.");
                _schemas.Seek(s);
                _registry.Seek(r);
            }
            _readStart = (_schemas.Next, _registry.Next);
            // _schemas first, then our topic, so that a policy moved out of _schemas is read before its newer versions.
            foreach (var result in _schemas.ReadToEnd(cancellationToken))
            {
                var e = FromSchemas(result);
                _lastEntry = (_schemas.Next, _registry.Next);
                yield return new LogEntry(Position, e);
            }
            foreach (var result in _registry.ReadToEnd(cancellationToken))
            {
                var e = FromRegistry(result);
                _lastEntry = (_schemas.Next, _registry.Next);
                yield return new LogEntry(Position, e);
            }
            if (_lastEntry != (_schemas.Next, _registry.Next) && Position > afterPosition)
            {
                // Offsets without records (transaction markers, compacted records) moved the end: they take a position too.
                _lastEntry = (_schemas.Next, _registry.Next);
                yield return new LogEntry(Position, new LogNoop("offsets without records"));
            }
        }
        finally
        {
            _readLock.Release();
        }
    }

    private RegistryEvent FromSchemas(ConsumeResult<string?, string?> result)
    {
        var record = SchemasTopicFormat.Decode(result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
        var e = record.Event;
        if (e is PolicySet legacy) _legacyPolicies[legacy.Topic] = (result.Message.Key!, result.Message.Value);
        // A tombstone is a deletion by an earlier version, or our own move: either way the registry topic, read after, has the last word.
        if (e is PolicyDeleted gone) _legacyPolicies.Remove(gone.Topic);
        if (SchemasTopicFormat.KeyOf(e) is { } key)
        {
            if (record.Key is { } raw && raw != key) _foreignKeys[key] = raw;
            if (result.Message.Value is null)
            {
                _unknown.Remove(key);
                _foreignKeys.Remove(key);
            }
            else if (record.Unknown is { } unknown) _unknown[key] = unknown;
            else _unknown.Remove(key);
        }
        return e;
    }

    private RegistryEvent FromRegistry(ConsumeResult<string?, string?> result)
    {
        var (e, writer) = RegistryTopicFormat.Decode(result.Message.Key, result.Message.Value);
        if (writer is not null) _writerUrl = writer;
        if (e is PolicySet p) _registryPolicies.Add(p.Topic);
        return e;
    }

    public Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _election.Dispose();
        _schemas.Dispose();
        _registry.Dispose();
        _readLock.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Registry.Core;
using Registry.Core.Events;

namespace Registry.Storage.Kafka;

/// <summary>
/// The registry log on Kafka: Confluent's <c>_schemas</c> topic (byte for byte), Confluent's DEK registry topic
/// (<c>_dek_registry_keys</c>) for keys, and our own registry topic for record kinds Confluent has none for. One
/// elected node writes, through a transactional producer that fences the writer before it; the others forward
/// writes to it (docs/kafka.md). The writer reads the topics to their end when it becomes the writer and after
/// any failed write; then, as the only writer, it applies its own records when they are committed and appends
/// only at the position it has applied.
/// A position is the sum of the three topics' next offsets: it grows with every record, and this log knows the
/// offsets of the one position it has applied (<see cref="IRegistryLog"/> callers read on from there, or from 0).
/// </summary>
public sealed class KafkaRegistryLog : IRegistryLog
{
    private readonly KafkaLogSettings _settings;
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private readonly PartitionReader _schemas;
    private readonly PartitionReader _registry;
    private readonly PartitionReader _keys;
    private readonly KafkaWriterElection _election;
    // Per key of _schemas: the value members we do not model (kept on rewrites), and the key's bytes when a
    // foreign writer spelled them differently (tombstoned with ours, so compaction removes both).
    private readonly Dictionary<string, JsonObject> _unknown = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _foreignKeys = new(StringComparer.Ordinal);
    // Gateway policies written by earlier versions into _schemas under a keytype Confluent cannot read: moved on the next write.
    private readonly Dictionary<string, (string Key, string? Value)> _legacyPolicies = new(StringComparer.Ordinal);
    private readonly HashSet<string> _registryPolicies = new(StringComparer.Ordinal);
    // KEK and DEK records an earlier version wrote to the registry topic (moved on the next write), and the keys the DEK registry topic has.
    private readonly Dictionary<string, RegistryEvent> _legacyKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _keysTopicKeys = new(StringComparer.Ordinal);
    private volatile string? _writerUrl;
    // End offsets come from the admin client: a consumer's own query waits behind its long-polling fetch.
    private IAdminClient? _admin;
    // The offsets this node has applied (read, or appended as the writer), and the writer term in which it read the whole log.
    private Offsets _current;
    private int _currentEpoch = -1;
    private bool _opened;

    public KafkaRegistryLog(KafkaLogSettings settings)
    {
        _settings = settings;
        _schemas = new PartitionReader(settings.BootstrapServers, settings.Topic, settings.Timeout);
        _registry = new PartitionReader(settings.BootstrapServers, settings.EffectiveRegistryTopic, settings.Timeout);
        _keys = new PartitionReader(settings.BootstrapServers, settings.EffectiveDekRegistryTopic, settings.Timeout);
        _election = new KafkaWriterElection(settings) { BecameWriter = Announce };
    }

    /// <inheritdoc />
    public string? ForwardTo => _election.IsWriter ? null
        // A node that lost its term may still see itself named as the writer: that is no writer to forward to.
        : _writerUrl is { } url && url != _settings.AdvertisedUrl() ? url : "";

    /// <summary>Whether this node is the elected writer (within its lease).</summary>
    public bool IsWriter => _election.IsWriter;

    /// <summary>The next offsets of the three topics; their sum is the log position.</summary>
    private readonly record struct Offsets(long Schemas, long Registry, long Keys)
    {
        public long Position => Schemas + Registry + Keys;
    }

    private Offsets Read => new(_schemas.Next, _registry.Next, _keys.Next);

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
                foreach (var topic in _settings.StoreTopics)
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
            _keys.Open();
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
        if (_currentEpoch != _election.Epoch || expectedPosition != _current.Position) throw new LogConflictException(expectedPosition, _current.Position);
        var records = Records(events);
        var end = await _election.WithProducerAsync(async producer =>
        {
            try
            {
                producer.BeginTransaction();
                var end = _current;
                // Produced together in one transaction: they become visible together, or (fenced) not at all.
                var sends = records.Select(r => producer.ProduceAsync(new TopicPartition(r.Topic, 0), new Message<string, string?>
                {
                    Key = r.Key,
                    Value = r.Value,
                    // A registration's or a key's time is its record's timestamp on every reader, so the writer, which applies it as decided, agrees.
                    Timestamp = r.Timestamp > 0 ? new Timestamp(r.Timestamp, TimestampType.CreateTime) : Timestamp.Default,
                }, cancellationToken)).ToList();
                foreach (var send in sends)
                {
                    var report = await send;
                    var next = report.Offset.Value + 1;
                    if (report.Topic == _settings.Topic) end = end with { Schemas = Math.Max(end.Schemas, next) };
                    else if (report.Topic == _settings.EffectiveRegistryTopic) end = end with { Registry = Math.Max(end.Registry, next) };
                    else end = end with { Keys = Math.Max(end.Keys, next) };
                }
                producer.CommitTransaction(_settings.Timeout);
                return end;
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException)
            {
                _currentEpoch = -1;
                throw Fail(producer, e);
            }
        }, cancellationToken);
        if (end is not { } written) throw new NotWriterException(_writerUrl ?? "");
        foreach (var (topic, key, value, _, e) in records) Track(topic, key, value, e, null, read: false);
        _current = written;
        return written.Position;
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

    /// <summary>
    /// The records of a write, with what the write must also carry: tombstones under foreign key spellings, and
    /// moved legacy records (policies from <c>_schemas</c>, keys from the registry topic).
    /// </summary>
    private List<(string Topic, string Key, string? Value, long Timestamp, RegistryEvent Event)> Records(IReadOnlyList<RegistryEvent> events)
    {
        var records = new List<(string Topic, string Key, string? Value, long Timestamp, RegistryEvent Event)>();
        foreach (var e in events)
        {
            if (SchemasTopicFormat.KeyOf(e) is { } key)
            {
                var (_, value) = SchemasTopicFormat.Encode(e, _unknown.GetValueOrDefault(key));
                if (value is null && _foreignKeys.TryGetValue(key, out var foreign)) records.Add((_settings.Topic, foreign, null, 0, e));
                records.Add((_settings.Topic, key, value, (e as SchemaRegistered)?.Timestamp ?? 0, e));
            }
            else if (DekRegistryTopicFormat.KeyOf(e) is not null)
            {
                var (k, v, ts) = DekRegistryTopicFormat.Encode(e);
                records.Add((_settings.EffectiveDekRegistryTopic, k, v, ts, e));
            }
            else if (RegistryTopicFormat.KeyOf(e) is not null)
            {
                var (k, v) = RegistryTopicFormat.Encode(e);
                records.Add((_settings.EffectiveRegistryTopic, k, v, 0, e));
            }
        }
        foreach (var (topic, (legacyKey, value)) in _legacyPolicies)
        {
            if (!_registryPolicies.Contains(topic) && !events.Any(e => e is PolicySet p && p.Topic == topic || e is PolicyDeleted d && d.Topic == topic))
            {
                records.Add((_settings.EffectiveRegistryTopic, RegistryTopicFormat.KeyOf(new PolicyDeleted(topic))!, value, 0, new PolicySet(topic, new Core.Model.TopicPolicy())));
            }
            records.Add((_settings.Topic, legacyKey, null, 0, new PolicyDeleted(topic)));
        }
        foreach (var (key, put) in _legacyKeys)
        {
            // Copied unless the DEK registry topic has the key already (then its record is the newer), or this write sets it.
            if (!_keysTopicKeys.Contains(key) && !records.Any(r => r.Topic == _settings.EffectiveDekRegistryTopic && r.Key == key))
            {
                var (k, v, ts) = DekRegistryTopicFormat.Encode(put);
                records.Add((_settings.EffectiveDekRegistryTopic, k, v, ts, put));
            }
            // Read before the DEK registry topic, the tombstone never hides the key there; compaction then removes the old record.
            records.Add((_settings.EffectiveRegistryTopic, key, null, 0, DekRegistryTopicFormat.Removal(put)));
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

    /// <summary>Positions are sums of this node's offsets; another reader could not resume from them.</summary>
    public bool ReadsFromAnyPosition => false;

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_opened) throw new InvalidOperationException("The Kafka store is not open.");
        await _readLock.WaitAsync(cancellationToken);
        try
        {
            // The writer, once it has read the whole log in its term, is the only one appending: there is nothing
            // it has not applied (a real broker fences any other producer), so it does not read its own records back.
            if (afterPosition == _current.Position && _currentEpoch == _election.Epoch && _election.IsWriter)
            {
                // Still ask the broker for the end offsets: a writer that cannot reach it is not ready either.
                await EndOffsetsAsync();
                yield break;
            }
            var from = afterPosition == _current.Position ? _current
                : afterPosition == 0 ? default
                : throw new InvalidOperationException($"Position {afterPosition} is not one this log gave (it is at {_current.Position}).");
            if (from.Schemas < _schemas.Next || from.Registry < _registry.Next || from.Keys < _keys.Next)
            {
                // Back to where the caller is: the start, or where a read that failed midway began.
                _schemas.Seek(from.Schemas);
                _registry.Seek(from.Registry);
                _keys.Seek(from.Keys);
            }
            // Past the records this node appended as the writer (applied already), when the caller is there.
            _schemas.SkipTo(from.Schemas);
            _registry.SkipTo(from.Registry);
            _keys.SkipTo(from.Keys);
            var epoch = _election.Epoch;
            var writer = _election.IsWriter;
            var last = afterPosition;
            var end = await EndOffsetsAsync();
            // _schemas first, then our topic, so that a policy moved out of _schemas is read before its newer versions;
            // the DEK registry topic last, so that a key moved out of our topic is read before its newer versions.
            foreach (var result in _schemas.ReadTo(end.Schemas, cancellationToken))
            {
                var e = FromSchemas(result);
                yield return new LogEntry(last = Read.Position, e);
            }
            foreach (var result in _registry.ReadTo(end.Registry, cancellationToken))
            {
                var e = FromRegistry(result);
                yield return new LogEntry(last = Read.Position, e);
            }
            foreach (var result in _keys.ReadTo(end.Keys, cancellationToken))
            {
                var e = FromKeys(result);
                yield return new LogEntry(last = Read.Position, e);
            }
            // Offsets without records (transaction markers, compacted records) moved the end: they take a position too.
            if (Read.Position > last) yield return new LogEntry(Read.Position, new LogNoop());
            _current = Read;
            // Read to the end after becoming the writer: from now on its own appends are all the log gets.
            if (writer && epoch == _election.Epoch) _currentEpoch = epoch;
        }
        finally
        {
            _readLock.Release();
        }
    }

    /// <summary>The end offsets of the three topics for a read-committed reader (the last stable offsets), in one request.</summary>
    private async Task<Offsets> EndOffsetsAsync()
    {
        try
        {
            var result = await _admin!.ListOffsetsAsync(
                new[] { _schemas, _registry, _keys }.Select(r => new TopicPartitionOffsetSpec { TopicPartition = r.Partition, OffsetSpec = OffsetSpec.Latest() }),
                new ListOffsetsOptions { IsolationLevel = IsolationLevel.ReadCommitted, RequestTimeout = _settings.Timeout });
            long End(TopicPartition p) => result.ResultInfos.Single(i => i.TopicPartitionOffsetError.TopicPartition == p).TopicPartitionOffsetError.Offset.Value;
            return new Offsets(End(_schemas.Partition), End(_registry.Partition), End(_keys.Partition));
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
        var (e, writer) = RegistryTopicFormat.Decode(result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
        if (e is LogNoop { Reason: { } reason } && writer is null)
            StorageLog.SkippedRecord(_settings.Logger, _settings.EffectiveRegistryTopic, result.Offset.Value, reason);
        if (writer is not null) _writerUrl = writer;
        Track(_settings.EffectiveRegistryTopic, result.Message.Key, result.Message.Value, e, null, read: true);
        return e;
    }

    private RegistryEvent FromKeys(ConsumeResult<string?, string?> result)
    {
        var e = DekRegistryTopicFormat.Decode(result.Message.Key, result.Message.Value, result.Message.Timestamp.UnixTimestampMs);
        if (e is LogNoop { Reason: { } reason })
            StorageLog.SkippedRecord(_settings.Logger, _settings.EffectiveDekRegistryTopic, result.Offset.Value, reason);
        Track(_settings.EffectiveDekRegistryTopic, result.Message.Key, result.Message.Value, e, null, read: true);
        return e;
    }

    /// <summary>
    /// What the store remembers of a record, read (<paramref name="read"/>) or written by this node: members we do
    /// not model, foreign spellings of keys, and where policies and keys live.
    /// </summary>
    private void Track(string topic, string? rawKey, string? value, RegistryEvent e, JsonObject? unknown, bool read)
    {
        if (topic == _settings.EffectiveDekRegistryTopic)
        {
            if (rawKey is not null && e is not LogNoop) _keysTopicKeys.Add(rawKey);
            return;
        }
        if (topic != _settings.Topic)
        {
            if (e is PolicySet p) _registryPolicies.Add(p.Topic);
            if (rawKey is not null && DekRegistryTopicFormat.KeyOf(e) is not null)
            {
                if (value is null) _legacyKeys.Remove(rawKey);
                else if (read) _legacyKeys[rawKey] = e;
            }
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
        _keys.Dispose();
        _readLock.Dispose();
        return ValueTask.CompletedTask;
    }
}

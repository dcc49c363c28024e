using System.Collections.Immutable;
using Confluent.Kafka;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Storage.Kafka;

namespace Registry.Storage.Tests;

[Trait("Category", "Kafka")]
public sealed class KafkaRegistryLogTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = new(brokers: 1);

    private KafkaRegistryLog NewLog(string topic)
    {
        _cluster.CreateStoreTopics(topic);
        return new(new KafkaLogSettings(_cluster.BootstrapServers) { Topic = topic, ReplicationFactor = 1, SessionTimeoutMs = 3000, AdvertisedUrl = () => "http://node" });
    }

    /// <summary>An engine on a fresh log of the topic, once its node is the elected writer.</summary>
    private async Task<RegistryEngine> WritingEngineAsync(string topic)
    {
        var log = NewLog(topic);
        var engine = new RegistryEngine(log, TimeSpan.FromSeconds(5));
        await engine.StartAsync(default);
        Assert.True(await log.WaitForWriterAsync(TimeSpan.FromSeconds(30)), "no writer was elected within 30 s");
        return engine;
    }

    private async Task<KafkaRegistryLog> WriterAsync(string topic)
    {
        var log = NewLog(topic);
        await log.InitializeAsync(default);
        Assert.True(await log.WaitForWriterAsync(TimeSpan.FromSeconds(30)), "no writer was elected within 30 s");
        return log;
    }

    private static SchemaRegistered Event(int id, string subject = "s") =>
        new(subject, id, id, "AVRO", $"\"fixed{id}\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);

    [Fact]
    public async Task Appends_are_read_back_in_order_by_another_node()
    {
        await using var a = await WriterAsync("_schemas_a");
        // The writer appends only at the position it has read to.
        await Assert.ThrowsAsync<LogConflictException>(() => a.AppendAsync(0, [Event(1)], default));
        long position = 0;
        await foreach (var e in a.ReadAsync(0, default)) position = e.Position;
        var end = await a.AppendAsync(position, [Event(1), Event(2)], default);
        Assert.True(end >= position + 2);
        await Assert.ThrowsAsync<LogConflictException>(() => a.AppendAsync(position, [Event(3)], default));

        await using var b = NewLog("_schemas_a");
        await b.InitializeAsync(default);
        var entries = new List<LogEntry>();
        await foreach (var e in b.ReadAsync(0, default)) entries.Add(e);
        Assert.Equal([1, 2], entries.Select(e => e.Event).OfType<SchemaRegistered>().Select(e => e.Id));
        Assert.True(entries.Select(e => e.Position).SequenceEqual(entries.Select(e => e.Position).Order()), "positions grow");
    }

    [Fact]
    public async Task Records_written_as_Confluent_writes_them_are_folded_correctly()
    {
        const string topic = "_schemas_confluent";
        _cluster.CreateTopic(topic);
        using (var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            async Task Put(string key, string? value) => await producer.ProduceAsync(topic, new Message<string, string?> { Key = key, Value = value });
            await Put("""{"keytype":"NOOP","magic":0}""", null);
            await Put("""{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}""",
                """{"subject":"orders-value","version":1,"id":1,"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}","deleted":false}""");
            await Put("""{"keytype":"SCHEMA","subject":"payments-value","version":1,"magic":1}""",
                """{"subject":"payments-value","version":1,"id":2,"schemaType":"AVRO","schema":"\"string\"","deleted":false}""");
            await Put("""{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}""",
                """{"subject":"orders-value","version":2,"id":3,"schema":"\"long\"","deleted":false}""");
            await Put("""{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}""",
                """{"subject":"orders-value","version":2,"id":3,"schema":"\"long\"","deleted":true}""");
            await Put("""{"keytype":"SCHEMA","subject":"gone-value","version":1,"magic":1}""",
                """{"subject":"gone-value","version":1,"id":4,"schema":"\"int\"","deleted":true}""");
            await Put("""{"keytype":"SCHEMA","subject":"gone-value","version":1,"magic":1}""", null);
            await Put("""{"keytype":"CONFIG","magic":0}""", """{"compatibilityLevel":"FULL"}""");
            await Put("""{"keytype":"CONFIG","subject":"orders-value","magic":0}""", """{"subject":"orders-value","compatibilityLevel":"NONE"}""");
            await Put("""{"keytype":"MODE","subject":"payments-value","magic":0}""", """{"subject":"payments-value","mode":"READONLY"}""");
            await Put("""{"keytype":"DELETE_SUBJECT","subject":"payments-value","magic":0}""", """{"subject":"payments-value","version":1}""");
            await Put("""{"keytype":"CLEAR_SUBJECT","subject":"x","magic":0}""", """{"subject":"x"}""");
            await Put("""{"keytype":"SOMETHING_NEW","magic":0}""", "{}");
        }
        await using var engine = new RegistryEngine(NewLog(topic), TimeSpan.FromSeconds(5));
        await engine.StartAsync(default);
        var state = engine.State;
        Assert.True(state.Position >= 13, $"position {state.Position}");
        Assert.Equal("AVRO", state.Schemas[new ContextId(".", 1)].SchemaType);
        Assert.False(state.Subjects["orders-value"].Versions[1].Deleted);
        Assert.True(state.Subjects["orders-value"].Versions[2].Deleted);
        Assert.True(state.Subjects["payments-value"].Versions[1].Deleted);
        Assert.False(state.Subjects.ContainsKey("gone-value"));
        Assert.Equal("FULL", state.Configs[""].CompatibilityLevel);
        Assert.Equal("NONE", state.Configs["orders-value"].CompatibilityLevel);
        Assert.Equal(RegistryMode.ReadOnly, state.Modes["payments-value"]);
        Assert.Equal(4, state.MaxIdIn("."));
    }

    [Fact]
    public void What_this_store_writes_parses_back_into_the_same_events()
    {
        RegistryEvent[] events =
        [
            Event(7, "x-value") with { References = [new SchemaReference("n.Y", "y-value", 2)], Metadata = new Registry.Core.Model.Metadata(null, ImmutableSortedDictionary<string, string>.Empty.Add("owner", "a"), null) },
            Event(7, "x-value") with { Deleted = true },
            new VersionHardDeleted("x-value", 7),
            new SubjectSoftDeleted("x-value", 3),
            new ConfigSet(null, new SubjectConfig(CompatibilityLevel: "FULL")),
            new ConfigSet("x-value", new SubjectConfig(CompatibilityLevel: "NONE", Normalize: true)),
            new ConfigCleared("x-value"),
            new ModeSet(null, RegistryMode.Import),
            new ModeCleared("x-value"),
        ];
        foreach (var e in events)
        {
            var (key, value) = SchemasTopicFormat.Encode(e);
            var back = SchemasTopicFormat.Decode(key, value, 0).Event;
            Assert.Equal(EventSerializer.Serialize(e), EventSerializer.Serialize(back));
        }
        RegistryEvent[] ours = [new PolicySet("orders", new TopicPolicy { Value = new PayloadPolicy { Check = "rules", Strategy = "RecordNameStrategy" }, AllowTombstones = false }), new PolicyDeleted("orders"),
            new ProposalPut(new Proposal(3, "x-value", "AVRO", "\"string\"", [new SchemaReference("n.Y", "y-value", 2)], null, null, false, "why", "alice", 10, 1,
                Proposal.Applied, "approved by carol", 20, [new ProposalReview("carol", ProposalReview.Approve, "ok", 20)], 2, 7)),
            new ReviewPolicySet("orders-*", new ReviewPolicy(2, ["owner", "role:admin"])), new ReviewPolicyDeleted("orders-*")];
        foreach (var e in ours)
        {
            var (key, value) = RegistryTopicFormat.Encode(e);
            Assert.Equal(EventSerializer.Serialize(e), EventSerializer.Serialize(RegistryTopicFormat.Decode(key, value, 0).Event));
            Assert.Null(SchemasTopicFormat.KeyOf(e));
            Assert.Null(DekRegistryTopicFormat.KeyOf(e));
        }
        RegistryEvent[] keys =
        [
            new KekPut(new Kek("kek1", "local-kms", "mykey", System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("a", "1"), "doc", true, false, 1234)),
            new KekRemoved("kek1"),
            new DekPut(new Dek("kek1", "t1-value", 2, DekAlgorithm.AES128_GCM, "AAAA", true, 99)),
            new DekRemoved("kek1", "t1-value", DekAlgorithm.AES256_SIV, 3),
        ];
        foreach (var e in keys)
        {
            // The time travels as the record's timestamp, as Confluent's reader takes it.
            var (key, value, timestamp) = DekRegistryTopicFormat.Encode(e);
            Assert.Equal(EventSerializer.Serialize(e), EventSerializer.Serialize(DekRegistryTopicFormat.Decode(key, value, timestamp)));
            Assert.Null(SchemasTopicFormat.KeyOf(e));
            Assert.Null(RegistryTopicFormat.KeyOf(e));
        }
        Assert.Equal("""{"keytype":"SCHEMA","subject":"x-value","version":7,"magic":1}""", SchemasTopicFormat.Encode(events[0]).Key);
        Assert.Equal("""{"keytype":"CONFIG","magic":0}""", SchemasTopicFormat.Encode(events[4]).Key);
        // DEK registry records have Confluent's _dek_registry_keys keys and values, without a ts member (Confluent's producer writes none).
        Assert.Equal(("""{"tenant":"default","name":"kek1","type":"KEK"}""",
            """{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{"a":"1"},"doc":"doc","shared":true,"deleted":false,"type":"KEK"}""", 1234L),
            DekRegistryTopicFormat.Encode(keys[0]));
        Assert.Equal(("""{"tenant":"default","kekName":"kek1","subject":"t1-value","algorithm":"AES128_GCM","version":2,"type":"DEK"}""",
            """{"kekName":"kek1","subject":"t1-value","algorithm":"AES128_GCM","version":2,"encryptedKeyMaterial":"AAAA","deleted":true,"type":"DEK"}""", 99L),
            DekRegistryTopicFormat.Encode(keys[2]));
    }

    [Fact]
    public async Task Hard_deleted_subjects_stay_deleted_after_restart_and_after_compaction()
    {
        var decider = new Registry.Core.Decisions.RegistryDecider(Registry.Formats.FormatCatalog.Create(new Registry.Formats.FormatLimits()),
            new Registry.Core.Decisions.RegistrySettings(), TimeProvider.System);
        Registry.Core.Decisions.RegisterCommand Register(string subject, string schema) =>
            new(subject, new Registry.Core.Decisions.SchemaInput(schema, null, null, null, null), null, null, false, false);
        int keptId;
        await using (var engine = await WritingEngineAsync("_schemas_hard"))
        {
            await engine.ExecuteAsync(s => decider.Register(s, Register("doomed", "\"int\"")), default);
            await engine.ExecuteAsync(s => decider.Register(s, Register("doomed", "\"long\"")), default);
            keptId = (await engine.ExecuteAsync(s => decider.Register(s, Register("kept", "\"string\"")), default)).Schema.Id;
            await engine.ExecuteAsync(s => decider.DeleteVersion(s, "doomed", "1", permanent: false), default);
            await engine.ExecuteAsync(s => decider.DeleteSubject(s, "doomed", permanent: false), default);
            await engine.ExecuteAsync(s => decider.DeleteSubject(s, "doomed", permanent: true), default);
            Assert.False(engine.State.Subjects.ContainsKey("doomed"));
        }

        // Restart: replay the topic as written.
        await using (var restarted = new RegistryEngine(NewLog("_schemas_hard"), TimeSpan.FromSeconds(5)))
        {
            await restarted.StartAsync(default);
            Assert.False(restarted.State.Subjects.ContainsKey("doomed"));
            Assert.Equal(keptId, restarted.State.Subjects["kept"].Versions[1].Id);
        }

        // Compaction: keep the last record per key and drop tombstones, as the broker eventually does.
        var records = Registry.Testing.RawTopic.Read(_cluster.BootstrapServers, "_schemas_hard");
        var compacted = Registry.Testing.RawTopic.Compact(records);
        Assert.True(compacted.Count < records.Count);
        _cluster.CreateStoreTopics("_schemas_compacted");
        await Registry.Testing.RawTopic.WriteAsync(_cluster.BootstrapServers, "_schemas_compacted", compacted);
        await using var afterCompaction = new RegistryEngine(NewLog("_schemas_compacted"), TimeSpan.FromSeconds(5));
        await afterCompaction.StartAsync(default);
        Assert.False(afterCompaction.State.Subjects.ContainsKey("doomed"));
        Assert.Equal(keptId, afterCompaction.State.Subjects["kept"].Versions[1].Id);
        Assert.Equal([keptId], afterCompaction.State.Usages.Keys.Select(k => k.Id));
    }

    [Fact]
    public async Task The_mock_cluster_names_a_controller_that_exists()
    {
        using var cluster = new MockKafkaCluster(brokers: 3);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var description = await admin.DescribeClusterAsync(new Confluent.Kafka.Admin.DescribeClusterOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(1, description.Controller.Id);
        Assert.Contains(description.Nodes, n => n.Id == description.Controller.Id);
    }

    [Fact]
    public async Task A_topic_with_several_partitions_is_refused_with_a_store_error()
    {
        _cluster.CreateTopic("_schemas_wide", partitions: 3);
        _cluster.CreateStoreTopics("_schemas_wide");
        await using var log = new KafkaRegistryLog(new KafkaLogSettings(_cluster.BootstrapServers) { Topic = "_schemas_wide", ReplicationFactor = 1 });
        var e = await Assert.ThrowsAsync<Registry.Core.RegistryException>(() => log.InitializeAsync(default));
        Assert.Equal(Registry.Core.Errors.StoreError, e.ErrorCode);
        Assert.Contains("3 partitions", e.Message);
    }

    [Fact]
    public async Task Records_that_are_not_JSON_of_unknown_kinds_or_contradicting_the_fold_are_logged_with_their_offset_and_skipped()
    {
        const string topic = "_schemas_bad";
        _cluster.CreateStoreTopics(topic);
        using (var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            async Task Put(string key, string? value) => await producer.ProduceAsync(topic, new Message<string, string?> { Key = key, Value = value });
            await Put("""{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}""", """{"subject":"a","version":1,"id":1,"schema":"\"int\"","deleted":false}""");
            await Put("not json at all", "{");
            await Put("""{"keytype":"SOMETHING_NEW","magic":0}""", "{}");
            // Id 1 already means "int": a record giving it another schema is ignored by the fold.
            await Put("""{"keytype":"SCHEMA","subject":"b","version":1,"magic":1}""", """{"subject":"b","version":1,"id":1,"schema":"\"long\"","deleted":false}""");
        }
        var logged = new ListLogger();
        var log = new KafkaRegistryLog(new KafkaLogSettings(_cluster.BootstrapServers) { Topic = topic, ReplicationFactor = 1, Logger = logged });
        await using var engine = new RegistryEngine(log, TimeSpan.FromSeconds(5), logged);
        await engine.StartAsync(default);
        Assert.Equal("\"int\"", engine.State.Schemas[new ContextId(".", 1)].Schema);
        Assert.False(engine.State.Subjects.ContainsKey("b"));
        Assert.Contains(logged.Lines, l => l.Contains("offset 1:", StringComparison.Ordinal) && l.Contains("unreadable", StringComparison.Ordinal));
        Assert.Contains(logged.Lines, l => l.Contains("offset 2:", StringComparison.Ordinal) && l.Contains("unknown keytype SOMETHING_NEW", StringComparison.Ordinal));
        Assert.Contains(logged.Lines, l => l.Contains("Ignored the registration", StringComparison.Ordinal) && l.Contains("b version 1, id 1", StringComparison.Ordinal));
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }

    public void Dispose() => _cluster.Dispose();
}

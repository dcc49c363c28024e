using System.Net.Http.Json;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Registry.Gateway.Tests;

/// <summary>Produce through the gateway with the real producer and serializers; valid records arrive, violations are refused with a reason.</summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class GatewayTests(GatewayFixture fx, ITestOutputHelper output) : IClassFixture<GatewayFixture>
{
    private const string OrderSchema = """
        {"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"}]}
        """;

    private static readonly RecordSchema Order = (RecordSchema)Avro.Schema.Parse(OrderSchema);

    private static GenericRecord NewOrder(string id, long amount)
    {
        var record = new GenericRecord(Order);
        record.Add("id", id);
        record.Add("amount", amount);
        return record;
    }

    private async Task<byte[]> SerializeAsync(string topic, GenericRecord record, bool autoRegister = true)
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = fx.RegistryUrl });
        var serializer = new AvroSerializer<GenericRecord>(client, new AvroSerializerConfig { AutoRegisterSchemas = autoRegister });
        return await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, topic));
    }

    private static async Task<Error?> ProduceAsync(IProducer<byte[]?, byte[]?> producer, string topic, byte[]? value, int? partition = null)
    {
        try
        {
            var message = new Message<byte[]?, byte[]?> { Value = value };
            if (partition is { } p) await producer.ProduceAsync(new TopicPartition(topic, p), message);
            else await producer.ProduceAsync(topic, message);
            return null;
        }
        catch (ProduceException<byte[]?, byte[]?> e)
        {
            return e.Error;
        }
    }

    [Fact]
    public async Task Valid_records_pass_byte_identical_and_each_violation_is_refused_with_its_reason()
    {
        const string topic = "orders";
        fx.Kafka.CreateTopic(topic, partitions: 3);
        var valid = await SerializeAsync(topic, NewOrder("o-1", 10));
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload" } });
        var payment = new GenericRecord((RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"}]}"""));
        payment.Add("id", "p-1");
        var other = await SerializeAsync("payments", payment);

        using var producer = fx.Producer();
        Assert.Null(await ProduceAsync(producer, topic, valid));
        var noMagic = await ProduceAsync(producer, topic, "plain text"u8.ToArray());
        var unknownId = await ProduceAsync(producer, topic, [0, 0, 0, 0x7F, 0x7F, 2, 3]);
        var wrongSubject = await ProduceAsync(producer, topic, other);
        var garbage = valid.Take(5).Concat(new byte[] { 0xFF, 0xFF, 0xFF }).ToArray();
        var badPayload = await ProduceAsync(producer, topic, garbage);
        foreach (var (name, error) in new[] { ("no magic", noMagic), ("unknown id", unknownId), ("wrong subject", wrongSubject), ("bad payload", badPayload) })
        {
            output.WriteLine($"{name}: {error?.Code} {error?.Reason}");
            Assert.NotNull(error);
            Assert.Equal(ErrorCode.InvalidRecord, error!.Code);
        }
        var read = fx.ReadAll(topic, 1);
        Assert.Single(read);
        Assert.Equal(valid, read[0].Message.Value);
        foreach (var reason in new[] { "wire_format", "unknown_id", "wrong_subject", "payload" })
            Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"{reason}\",topic=\"{topic}\"}}"));
    }

    private static byte[] Framed(int id, GenericRecord record)
    {
        using var stream = new MemoryStream();
        stream.WriteByte(0);
        var idBytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(idBytes, id);
        stream.Write(idBytes);
        new GenericDatumWriter<GenericRecord>(record.Schema).Write(record, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    private async Task<int> RegisterAsync(string subject, string schema, object? ruleSet = null)
    {
        using var response = await fx.Http.PostAsJsonAsync($"/subjects/{subject}/versions", new { schema, ruleSet });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task A_record_that_breaks_a_CEL_condition_of_its_contract_is_refused()
    {
        const string topic = "ruled-orders";
        fx.Kafka.CreateTopic(topic, partitions: 2);
        var id = await RegisterAsync($"{topic}-value", OrderSchema, new
        {
            domainRules = new[] { new { name = "amountPositive", kind = "CONDITION", type = "CEL", mode = "WRITE", expr = "message.amount > 0 && message.id.startsWith('o-')" } },
        });
        await fx.SetPolicyAsync(topic, new { value = new { check = "rules" } });
        using var producer = fx.Producer();
        Assert.Null(await ProduceAsync(producer, topic, Framed(id, NewOrder("o-1", 5))));
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, Framed(id, NewOrder("o-2", -5))))?.Code);
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, Framed(id, NewOrder("x-3", 5))))?.Code);
        var read = fx.ReadAll(topic, 1);
        Assert.Equal(Framed(id, NewOrder("o-1", 5)), Assert.Single(read).Message.Value);
    }

    [Fact]
    public async Task A_PII_field_in_plaintext_is_refused_and_the_JavaScript_clients_encrypted_record_passes()
    {
        // The csfle.js record (name, ssn, age), with ssn tagged PII and an ENCRYPT rule on that tag.
        const string topic = "pii-people";
        const string schema = """
            {"type":"record","name":"Person","fields":[{"name":"name","type":"string"},{"name":"ssn","type":"string","confluent:tags":["PII"]},{"name":"age","type":"int"}]}
            """;
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", schema, new
        {
            domainRules = new[]
            {
                new
                {
                    name = "encrypt-pii", kind = "TRANSFORM", mode = "WRITEREAD", type = "ENCRYPT", tags = new[] { "PII" }, onFailure = "ERROR,NONE",
                    @params = new Dictionary<string, string> { ["encrypt.kek.name"] = "kek-pii", ["encrypt.kms.type"] = "local-kms", ["encrypt.kms.key.id"] = "mykey" },
                },
            },
        });
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload", requireEncryption = true } });

        var person = new GenericRecord((RecordSchema)Avro.Schema.Parse(schema));
        person.Add("name", "Ada Lovelace");
        person.Add("ssn", "123-45-6789");
        person.Add("age", 36);
        using var producer = fx.Producer();
        var plaintext = await ProduceAsync(producer, topic, Framed(id, person));
        Assert.Equal(ErrorCode.InvalidRecord, plaintext?.Code);
        Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"unencrypted\",topic=\"{topic}\"}}"));

        var encrypted = Convert.FromHexString((await Registry.Testing.JsClient.RunAsync("csfle.js", [fx.RegistryUrl, "produce", "AVRO", topic])).Trim());
        Assert.Null(await ProduceAsync(producer, topic, encrypted));
        Assert.Equal(encrypted, Assert.Single(fx.ReadAll(topic, 1)).Message.Value);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Every_compression_codec_is_decoded_and_checked(CompressionType codec)
    {
        var topic = "compressed-" + codec.ToString().ToLowerInvariant();
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload" } });
        using var producer = fx.Producer(codec);
        // Many similar records, so the codec really compresses a multi-record batch.
        var valid = Enumerable.Range(0, 50).Select(i => Framed(id, NewOrder($"o-{i}", i))).ToList();
        await Task.WhenAll(valid.Select(v => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = v })));
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, valid[0].Take(5).Concat(new byte[40]).ToArray()))?.Code);
        var read = fx.ReadAll(topic, 50);
        Assert.Equal(valid.Select(Convert.ToHexString).Order(), read.Select(r => Convert.ToHexString(r.Message.Value!)).Order());
    }

    /// <summary>The gateway's record validator on the fixture's registry, for checks of one batch without a producer.</summary>
    private static Registry.Gateway.Validation.RecordValidator Validator(HttpClient registry) =>
        new(new Registry.Gateway.Validation.RegistryClient(registry), Registry.Formats.FormatCatalog.Create(new Registry.Formats.FormatLimits()), 64);

    [Fact]
    public async Task In_a_batch_each_record_is_checked_under_its_own_id_even_after_records_of_another_id_passed()
    {
        // Records of a batch that name the id of the record before them skip the lookup; one naming another id must not.
        const string topic = "runs";
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        var otherId = await RegisterAsync("elsewhere-value", """{"type":"record","name":"Elsewhere","fields":[{"name":"x","type":"long"}]}""");
        var order = Framed(id, NewOrder("o-1", 1));
        byte[] other = [0, .. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(otherId)), 2];
        byte[] unknown = [0, 0, 0, 0x7F, 0x7E, 2];
        using var http = new HttpClient { BaseAddress = new Uri(fx.RegistryUrl) };
        var validator = Validator(http);
        var batch = Registry.Gateway.Protocol.RecordBatches.Write([(null, order), (null, order), (null, other), (null, order), (null, unknown), (null, order)]);
        var records = Registry.Gateway.Protocol.RecordBatches.Read(batch, 1 << 20);
        foreach (var check in new[] { "id", "payload" })
        {
            var violations = await validator.CheckAsync(topic, new Registry.Core.Model.TopicPolicy { Value = new() { Check = check } }, records, CancellationToken.None);
            Assert.Equal([(2, "wrong_subject"), (4, "unknown_id")], violations.Select(v => (v.Index, v.Reason)));
        }
    }

    [Fact]
    public async Task Under_rules_a_record_the_decode_cannot_read_is_a_payload_refusal_and_one_breaking_a_rule_a_rule_refusal()
    {
        // With rules to run, Avro records are walked once, by the decode: it must refuse what the payload check refuses.
        const string topic = "decoded-once";
        var id = await RegisterAsync($"{topic}-value", OrderSchema, new { domainRules = new[] { new { name = "positive", kind = "CONDITION", mode = "WRITE", type = "CEL", expr = "message.amount > 0" } } });
        using var http = new HttpClient { BaseAddress = new Uri(fx.RegistryUrl) };
        var validator = Validator(http);
        var good = Framed(id, NewOrder("o-1", 5));
        byte[] truncated = [.. good.Take(good.Length - 1)];
        byte[] trailing = [.. good, 0];
        var negative = Framed(id, NewOrder("o-2", -5));
        var records = Registry.Gateway.Protocol.RecordBatches.Read(Registry.Gateway.Protocol.RecordBatches.Write([(null, good), (null, truncated), (null, trailing), (null, negative)]), 1 << 20);
        var rules = await validator.CheckAsync(topic, new Registry.Core.Model.TopicPolicy { Value = new() { Check = "rules" } }, records, CancellationToken.None);
        Assert.Equal([(1, "payload"), (2, "payload"), (3, "rule")], rules.Select(v => (v.Index, v.Reason)));
        // The payload check alone refuses the same two records.
        var payloads = await validator.CheckAsync(topic, new Registry.Core.Model.TopicPolicy { Value = new() { Check = "payload" } }, records, CancellationToken.None);
        Assert.Equal([(1, "payload"), (2, "payload")], payloads.Select(v => (v.Index, v.Reason)));
    }

    [Fact]
    public async Task Valid_and_invalid_partitions_of_one_request_are_answered_separately()
    {
        const string topic = "mixed";
        fx.Kafka.CreateTopic(topic, partitions: 6);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fx.GatewayBootstrap }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics[0].Partitions;
        // Six partitions on three brokers: two of them share a leader, so one request carries both.
        var pair = partitions.GroupBy(p => p.Leader).First(g => g.Count() >= 2).Take(2).Select(p => p.PartitionId).ToArray();
        using var producer = fx.Producer(configure: c => c.LingerMs = 300);
        var good = ProduceAsync(producer, topic, Framed(id, NewOrder("o-1", 1)), pair[0]);
        var bad = ProduceAsync(producer, topic, "not framed"u8.ToArray(), pair[1]);
        Assert.Null(await good);
        Assert.Equal(ErrorCode.InvalidRecord, (await bad)?.Code);
        var read = fx.ReadAll(topic, 1);
        Assert.Equal(pair[0], Assert.Single(read).Partition.Value);
    }

    [Fact]
    public async Task Topics_without_a_policy_pass_unchecked_and_acks0_drops_invalid_batches()
    {
        const string free = "free-topic";
        fx.Kafka.CreateTopic(free, partitions: 1);
        using (var producer = fx.Producer())
            Assert.Null(await ProduceAsync(producer, free, "anything goes"u8.ToArray()));
        Assert.Single(fx.ReadAll(free, 1));

        const string topic = "acks0";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        var before = await MetricAsync("registry_gateway_acks0_batches_dropped");
        using (var fireAndForget = fx.Producer(configure: c => c.Acks = Acks.None))
        {
            await fireAndForget.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = "bad"u8.ToArray() });
            await fireAndForget.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = Framed(id, NewOrder("o-1", 1)) });
            fireAndForget.Flush(TimeSpan.FromSeconds(10));
        }
        Assert.Single(fx.ReadAll(topic, 1));
        Assert.True(await MetricAsync("registry_gateway_acks0_batches_dropped") >= before + 1);
    }

    [Fact]
    public async Task Metrics_count_checked_and_rejected_records_per_topic_and_reason()
    {
        const string topic = "metered";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        using var producer = fx.Producer();
        Assert.Null(await ProduceAsync(producer, topic, Framed(id, NewOrder("o-1", 1))));
        Assert.NotNull(await ProduceAsync(producer, topic, "bad"u8.ToArray()));
        // The instruments are process-wide and other tests in this process use other topics: per-topic counts are exact.
        Assert.Equal(2, await MetricAsync($"registry_gateway_records_checked{{topic=\"{topic}\"}}"));
        Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"wire_format\",topic=\"{topic}\"}}"));
        Assert.True(await MetricAsync("registry_gateway_produce_check_seconds_count") >= 2);
    }

    [Fact]
    public async Task Refusals_are_listed_per_topic_with_reason_record_and_client_id_but_no_payload_and_counted_per_client()
    {
        const string topic = "refusals";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        using var producer = fx.Producer(configure: c => c.ClientId = "billing-service");
        Assert.Null(await ProduceAsync(producer, topic, Framed(id, NewOrder("o-1", 1))));
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, "secret-card-4111"u8.ToArray()))?.Code);

        using var http = new HttpClient();
        var body = await http.GetStringAsync(fx.MetricsUrl + $"/v1/gateway/refusals?topic={topic}");
        output.WriteLine(body);
        var refusal = Assert.Single(System.Text.Json.JsonDocument.Parse(body).RootElement.EnumerateArray());
        Assert.Equal(topic, refusal.GetProperty("topic").GetString());
        Assert.Equal(0, refusal.GetProperty("record").GetInt32());
        Assert.Equal("wire_format", refusal.GetProperty("reason").GetString());
        Assert.Equal("billing-service", refusal.GetProperty("clientId").GetString());
        Assert.True(DateTimeOffset.UtcNow - refusal.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
        Assert.DoesNotContain("secret-card", body);
        Assert.Equal(1, await MetricAsync("registry_gateway_refusals_by_client{client_id=\"billing-service\"}"));
    }

    [Fact]
    public async Task Records_let_through_are_reported_to_the_registry_per_client_id_and_show_on_the_proposal_and_subject_pages()
    {
        const string topic = "usage";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        using (var payments = fx.Producer(configure: c => c.ClientId = "payments-svc"))
        using (var audit = fx.Producer(configure: c => c.ClientId = "audit-svc"))
        {
            for (var i = 0; i < 3; i++) Assert.Null(await ProduceAsync(payments, topic, Framed(id, NewOrder($"p-{i}", i))));
            Assert.Null(await ProduceAsync(audit, topic, Framed(id, NewOrder("a-1", 1))));
            // Refused records are not usage.
            Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(audit, topic, "not-framed"u8.ToArray()))?.Code);
        }
        // A consumer's deserializer fetches the writer's schema by id.
        using (var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = fx.RegistryUrl }))
            await client.GetSchemaAsync(id);

        System.Text.Json.JsonElement version = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var usage = System.Text.Json.JsonDocument.Parse(await fx.Http.GetStringAsync($"/v1/usage/subjects/{topic}-value")).RootElement;
            version = usage[0];
            if (version.GetProperty("produces").EnumerateArray().Count(e => e.GetProperty("topic").GetString() == topic) == 2) break;
            await Task.Delay(100);
        }
        output.WriteLine(version.ToString());
        // The id is shared with other topics' records (same schema); this topic's are counted per client id.
        var produces = version.GetProperty("produces").EnumerateArray().Where(e => e.GetProperty("topic").GetString() == topic)
            .ToDictionary(e => e.GetProperty("who").GetString()!, e => e.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["payments-svc"] = 3, ["audit-svc"] = 1 }, produces);
        Assert.Contains(version.GetProperty("fetches").EnumerateArray(), e => e.GetProperty("who").GetString() == "anonymous");

        // A reviewer of the next change sees who would be affected.
        var proposal = await fx.Http.PostAsync("/v1/proposals", new StringContent(System.Text.Json.JsonSerializer.Serialize(new
        {
            subject = $"{topic}-value",
            schema = OrderSchema.Replace("""{"name":"amount","type":"long"}""", """{"name":"amount","type":"long"},{"name":"note","type":"string","default":""}""", StringComparison.Ordinal),
        }), System.Text.Encoding.UTF8, "application/json"));
        var view = System.Text.Json.JsonDocument.Parse(await proposal.Content.ReadAsStringAsync()).RootElement;
        Assert.True(proposal.IsSuccessStatusCode, view.ToString());
        Assert.Equal(2, view.GetProperty("usage")[0].GetProperty("produces").EnumerateArray().Count(e => e.GetProperty("topic").GetString() == topic));
        Assert.Contains(topic, view.GetProperty("impact").GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        var page = await fx.Http.GetStringAsync($"/ui/proposals/{view.GetProperty("id").GetInt64()}");
        Assert.Contains("payments-svc to usage (3 in all", page);
        Assert.Contains("audit-svc", await fx.Http.GetStringAsync($"/ui/subjects/{topic}-value"));
    }

    [Fact]
    public async Task An_idempotent_producer_goes_on_after_a_refusal_and_its_next_record_lands_exactly_once()
    {
        const string topic = "idempotent";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        var first = Framed(id, NewOrder("o-1", 1));
        var next = Framed(id, NewOrder("o-2", 2));
        using (var producer = fx.Producer(configure: c => c.EnableIdempotence = true))
        {
            Assert.Null(await ProduceAsync(producer, topic, first));
            Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, "no magic"u8.ToArray()))?.Code);
            // librdkafka bumps its epoch after the refused batch (a gap in its sequence) and carries on.
            Assert.Null(await ProduceAsync(producer, topic, next));
        }
        var read = fx.ReadAll(topic, 2).Select(r => Convert.ToHexString(r.Message.Value!)).ToList();
        Assert.Equal([Convert.ToHexString(first), Convert.ToHexString(next)], read);
    }

    [Fact]
    public async Task Kafkajs_sees_a_real_controller_and_its_idempotent_producer_goes_on_after_a_refusal()
    {
        const string topic = "kafkajs";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        var first = Framed(id, NewOrder("k-1", 1));
        var next = Framed(id, NewOrder("k-2", 2));
        var printed = await Registry.Testing.JsClient.RunAsync("kafkajs.js", [fx.GatewayBootstrap, topic, Convert.ToHexString(first), Convert.ToHexString("no magic"u8), Convert.ToHexString(next)]);
        output.WriteLine(printed);
        var result = System.Text.Json.JsonDocument.Parse(printed).RootElement;
        // The admin client names a controller that is one of the brokers (the mock's default, 0, is none of them).
        Assert.Contains(result.GetProperty("controller").GetInt32(), result.GetProperty("brokers").EnumerateArray().Select(b => b.GetInt32()));
        Assert.True(result.GetProperty("valid").GetProperty("ok").GetBoolean());
        var refused = result.GetProperty("invalid");
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.Equal("INVALID_RECORD", refused.GetProperty("type").GetString());
        Assert.True(result.GetProperty("next").GetProperty("ok").GetBoolean(), result.GetProperty("next").ToString());
        var read = fx.ReadAll(topic, 2).Select(r => Convert.ToHexString(r.Message.Value!)).ToList();
        Assert.Equal([Convert.ToHexString(first), Convert.ToHexString(next)], read);
    }

    [Fact]
    public async Task A_transactional_producer_cannot_commit_after_a_refusal_and_must_abort()
    {
        const string topic = "transactional";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        using var producer = fx.Producer(configure: c => { c.TransactionalId = "tx-" + Guid.NewGuid().ToString("N"); c.EnableIdempotence = true; });
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        producer.BeginTransaction();
        Assert.Null(await ProduceAsync(producer, topic, Framed(id, NewOrder("goes-with-the-abort", 1))));
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, "no magic"u8.ToArray()))?.Code);
        // The refusal fails the transaction: commit is refused as abortable, naming the broker-side error, and abort succeeds.
        var commit = Assert.IsType<KafkaTxnRequiresAbortException>(Assert.ThrowsAny<KafkaException>(() => producer.CommitTransaction(TimeSpan.FromSeconds(30))));
        Assert.Contains("failed to validate record", commit.Error.Reason, StringComparison.OrdinalIgnoreCase);
        producer.AbortTransaction(TimeSpan.FromSeconds(30));
        // What follows needs a broker that bumps the producer epoch on InitProducerId; the mock hands out a new id
        // instead (docs/kafka.md), and librdkafka stops there. docs/gateway.md says what a real cluster does.
    }

    [Fact]
    public async Task A_gateway_alone_in_its_process_counts_each_refusal_once_however_often_it_is_scraped()
    {
        const string topic = "alone";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        var (kafkaPort, metricsPort) = (Registry.Testing.Processes.FreePort(), Registry.Testing.Processes.FreePort());
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Registry.Gateway.dll"), "--upstream", fx.Kafka.BootstrapServers.Split(',')[0], "--registry", fx.RegistryUrl,
            $"--Gateway:BootstrapPort={kafkaPort}", "--Gateway:ListenAddress=127.0.0.1", "--advertised-host", "127.0.0.1", "--urls", $"http://127.0.0.1:{metricsPort}",
        }) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var metrics = $"http://127.0.0.1:{metricsPort}";
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!await ReadyAsync(http, metrics + "/health/ready"))
            {
                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "the gateway process did not become ready");
                await Task.Delay(200);
            }
            var sample = $"registry_gateway_records_rejected{{reason=\"wire_format\",topic=\"{topic}\"}}";
            Assert.Equal(0, await MetricAsync(sample, metrics));
            using (var raw = new RawKafka($"127.0.0.1:{kafkaPort}"))
                Assert.Equal(87, raw.Produce((topic, 0, RawKafka.Batch("no magic byte"u8.ToArray()))).Topics[0].Partitions[0].ErrorCode);
            Assert.Equal(1, await MetricAsync(sample, metrics));
            Assert.Equal(1, await MetricAsync(sample, metrics));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task SASL_handshake_and_authenticate_frames_pass_through_byte_for_byte_in_both_directions()
    {
        // A stand-in broker that records every frame and answers each with bytes of its own (the mock cluster has no SASL).
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var received = new List<byte[]>();
        var answered = new List<byte[]>();
        var broker = Task.Run(async () =>
        {
            using var connection = await listener.AcceptTcpClientAsync();
            var stream = connection.GetStream();
            while ((await Registry.Gateway.Proxy.FrameIO.ReadAsync(stream, 1 << 20, TimeSpan.FromSeconds(30), CancellationToken.None))?.ToArray() is { } frame)
            {
                received.Add(frame);
                // Correlation id, then a body the gateway has no reason to read: error 0 and a token echoing the request's length.
                byte[] response = [.. frame.AsSpan(4, 4), 0, 0, .. System.Text.Encoding.UTF8.GetBytes($"server-token-{frame.Length}")];
                answered.Add(response);
                await Registry.Gateway.Proxy.FrameIO.WriteAsync(stream, response, CancellationToken.None);
            }
        });
        var gateway = Registry.Gateway.GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--upstream", $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}", "--registry", fx.RegistryUrl,
            "--Gateway:BootstrapPort=0", "--Gateway:ListenAddress=127.0.0.1", "--Logging:LogLevel:Default=Warning",
        ]);
        await gateway.StartAsync();
        try
        {
            var port = gateway.Services.GetRequiredService<Registry.Gateway.GatewayService>().BootstrapPort;
            // SCRAM-SHA-256: the handshake (v1), then two SaslAuthenticate (v2) rounds, as librdkafka and Java clients send them.
            byte[][] sent =
            [
                Request(Registry.Gateway.Protocol.Apis.SaslHandshake, 1, 1, w => w.String("SCRAM-SHA-256", flexible: false)),
                Request(36, 2, 2, w => w.Bytes("n,,n=producer-app,r=fyko+d2lbbFgONRv9qkxdawL"u8, isNull: false, flexible: true)),
                Request(36, 2, 3, w => w.Bytes("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="u8, isNull: false, flexible: true)),
            ];
            using var raw = new RawKafka($"127.0.0.1:{port}");
            var responses = new List<byte[]>();
            foreach (var request in sent)
            {
                await Registry.Gateway.Proxy.FrameIO.WriteAsync(raw.Stream, request, CancellationToken.None);
                responses.Add((await Registry.Gateway.Proxy.FrameIO.ReadAsync(raw.Stream, 1 << 20, TimeSpan.FromSeconds(10), CancellationToken.None))?.ToArray() ?? throw new IOException("closed"));
            }
            Assert.Equal(sent.Select(Convert.ToHexString), received.Select(Convert.ToHexString));
            Assert.Equal(answered.Select(Convert.ToHexString), responses.Select(Convert.ToHexString));
        }
        finally
        {
            await gateway.DisposeAsync();
            listener.Stop();
        }
        await broker.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);

        static byte[] Request(short api, short version, int correlation, Action<Registry.Gateway.Protocol.KafkaWriter> body)
        {
            var w = RawKafka.Request(api, version, correlation, "sasl-client", flexible: version >= 2);
            body(w);
            if (version >= 2) w.EmptyTaggedFields();
            return w.ToArray();
        }
    }

    private static async Task<bool> ReadyAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task<double> MetricAsync(string sample, string? metricsUrl = null)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync((metricsUrl ?? fx.MetricsUrl) + "/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
        output.WriteLine(line ?? $"{sample} absent in:\n" + string.Join("\n", text.Split('\n').Where(l => l.Contains("gateway", StringComparison.Ordinal))));
        return line is null ? 0 : double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_broker_going_down_and_up_while_producing_loses_nothing_valid()
    {
        const string topic = "outage";
        fx.Kafka.CreateTopic(topic, partitions: 3, replicationFactor: 3);
        var id = await RegisterAsync($"{topic}-value", OrderSchema);
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload" } });
        using var producer = fx.Producer(configure: c => c.MessageTimeoutMs = 60_000);
        var sends = new List<Task<DeliveryResult<byte[]?, byte[]?>>>();
        for (var i = 0; i < 60; i++)
        {
            if (i == 20) fx.Kafka.SetBrokerUp(2, up: false);
            if (i == 40) fx.Kafka.SetBrokerUp(2, up: true);
            sends.Add(producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = Framed(id, NewOrder($"o-{i}", i + 1)) }));
            await Task.Delay(50);
        }
        var results = await Task.WhenAll(sends);
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        Assert.Equal(60, fx.ReadAll(topic, 60).Select(r => Convert.ToHexString(r.Message.Value!)).Distinct().Count());
    }

    private static byte[] Framed(int id, string json)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var bytes = new byte[5 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), id);
        body.CopyTo(bytes, 5);
        return bytes;
    }

    [Fact]
    public async Task Record_name_strategies_JSON_payloads_key_checks_and_tombstones_follow_the_policy()
    {
        const string topic = "by-record";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var orderId = await RegisterAsync("shop.Order", OrderSchema);
        var topicOnlyId = await RegisterAsync($"{topic}-value", """{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}""");
        using (var response = await fx.Http.PostAsJsonAsync($"/subjects/{topic}-key/versions", new { schemaType = "JSON", schema = """{"type":"object","properties":{"k":{"type":"string"}},"required":["k"]}""" }))
            Assert.True(response.IsSuccessStatusCode);
        var keyId = (await (await fx.Http.GetAsync($"/subjects/{topic}-key/versions/latest")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
        await fx.SetPolicyAsync(topic, new
        {
            value = new { strategy = "RecordNameStrategy", check = "payload" },
            key = new { strategy = "TopicNameStrategy", check = "payload" },
            allowTombstones = false,
        });

        using var producer = fx.Producer();
        async Task<Error?> Send(byte[]? key, byte[]? value)
        {
            try
            {
                await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Key = key, Value = value });
                return null;
            }
            catch (ProduceException<byte[]?, byte[]?> e)
            {
                return e.Error;
            }
        }
        var goodKey = Framed(keyId, """{"k":"a"}""");
        Assert.Null(await Send(goodKey, Framed(orderId, NewOrder("o-1", 1))));
        // The record's own subject (shop.Order) does not hold this id; the topic's subject does, which this strategy ignores.
        var other = new GenericRecord((RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}"""));
        other.Add("x", 1);
        Assert.Equal(ErrorCode.InvalidRecord, (await Send(goodKey, Framed(topicOnlyId, other)))?.Code);
        Assert.Equal(ErrorCode.InvalidRecord, (await Send(Framed(keyId, """{"k":1}"""), Framed(orderId, NewOrder("o-2", 1))))?.Code);
        Assert.Equal(ErrorCode.InvalidRecord, (await Send(null, Framed(orderId, NewOrder("o-3", 1))))?.Code);
        Assert.Equal(ErrorCode.InvalidRecord, (await Send(goodKey, null))?.Code);
        Assert.Single(fx.ReadAll(topic, 1));
        // Each refusal for its own reason (the delivery report carries only the code).
        foreach (var reason in new[] { "wrong_subject", "payload", "null_key", "tombstone" })
            Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"{reason}\",topic=\"{topic}\"}}"));
    }

    [Fact]
    public async Task Protobuf_records_are_checked_against_their_message_and_rules()
    {
        const string topic = "proto-orders";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        using (var response = await fx.Http.PostAsJsonAsync($"/subjects/{topic}-value/versions", new
        {
            schemaType = "PROTOBUF",
            schema = "syntax = \"proto3\";\npackage shop;\nmessage Order { string id = 1; int64 amount = 2; }\n",
            ruleSet = new { domainRules = new[] { new { name = "positive", kind = "CONDITION", type = "CEL", mode = "WRITE", expr = "message.amount > 0" } } },
        }))
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var id = (await (await fx.Http.GetAsync($"/subjects/{topic}-value/versions/latest")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
        await fx.SetPolicyAsync(topic, new { value = new { check = "rules" } });

        // Confluent framing for Protobuf: header, message indexes (a single 0 byte means the first message), then the message.
        byte[] Order(string orderId, long amount)
        {
            var body = new List<byte> { 0x0A, (byte)orderId.Length };
            body.AddRange(System.Text.Encoding.UTF8.GetBytes(orderId));
            body.Add(0x10);
            var value = (ulong)amount;
            while (value >= 0x80)
            {
                body.Add((byte)(value | 0x80));
                value >>= 7;
            }
            body.Add((byte)value);
            var framed = new byte[] { 0, (byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id, 0 };
            return [.. framed, .. body];
        }
        using var producer = fx.Producer();
        Assert.Null(await ProduceAsync(producer, topic, Order("o-1", 7)));
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, Order("o-2", 0)))?.Code);
        Assert.Equal(ErrorCode.InvalidRecord, (await ProduceAsync(producer, topic, Order("o-3", 5)[..^4]))?.Code);
        Assert.Equal(Order("o-1", 7), Assert.Single(fx.ReadAll(topic, 1)).Message.Value);
        Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"rule\",topic=\"{topic}\"}}"));
        Assert.Equal(1, await MetricAsync($"registry_gateway_records_rejected{{reason=\"payload\",topic=\"{topic}\"}}"));
    }
}

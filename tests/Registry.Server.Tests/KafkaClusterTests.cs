using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Registry.Server.Tests.Infrastructure;
using Registry.Storage.Kafka;
using Registry.Testing;
using Xunit.Abstractions;
using static Registry.Server.Tests.Infrastructure.ClusterChecks;

namespace Registry.Server.Tests;

/// <summary>
/// Several registry processes on one Kafka-protocol cluster (librdkafka's mock), with one elected writer, tried as a
/// platform team would: concurrent writers, dependent writes alternating between nodes, the writer paused
/// (SIGSTOP/SIGCONT) and killed (SIGKILL), the broker down; then the raw topic read as Confluent's reader reads
/// it and compacted as the broker compacts it.
/// </summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class KafkaClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "registry-kafka-" + Guid.NewGuid().ToString("N"));

    private Task<ServerProcess> StartNodeAsync(int i, string topic = "_schemas")
    {
        // The mock does not implement admin CreateTopics: create the topics directly.
        _kafka.CreateStoreTopics(topic);
        return ServerProcess.StartAsync(Path.Combine(_scratch, "node" + i), "--store", "kafka", "--kafka", _kafka.BootstrapServers,
            "--Registry:Kafka:Topic=" + topic, "--Registry:PollIntervalMs=100", "--Registry:WriteTimeoutMs=5000", "--Registry:Kafka:SessionTimeoutMs=3000");
    }

    private async Task<ServerProcess[]> StartNodesAsync(int count)
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => StartNodeAsync(i)));
        _nodes.AddRange(nodes);
        // Ready means the log is read; the group elects the writer on its own time (a few seconds on the mock).
        // Until then writes wait, then get 50004, which clients retry; the tests start once one of the nodes writes.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!Writers().Any(w => nodes.Any(n => w.Contains(n.Url, StringComparison.Ordinal))))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "no writer was elected within 60 s");
            await Task.Delay(200);
        }
        return nodes;
    }

    [Fact]
    public async Task Three_nodes_with_concurrent_writers_agree_on_ids_and_versions()
    {
        var nodes = await StartNodesAsync(3);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
        await ConvergedConfigAsync(nodes);

        var errors = new ConcurrentBag<string>();
        var acknowledged = await LoadAsync(nodes, writersPerNode: 8, perWriter: 15, errors);
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed");
        Assert.Empty(errors);
        AssertInvariants(await ConvergedAsync(nodes, output), acknowledged);
        await MeasureConvergenceAsync(nodes[0], nodes[1], output);
    }

    [Fact]
    public async Task Broker_down_during_load_gives_clear_errors_keeps_reads_and_recovers()
    {
        var nodes = await StartNodesAsync(2);
        using (var admin = Client(nodes[0]))
        {
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
            Assert.True((await admin.PostAsync("/subjects/before-down/versions", JsonBody(Schema("Before", 1)))).IsSuccessStatusCode);
        }
        await ConvergedConfigAsync(nodes);
        await ConvergedAsync(nodes, output);

        var errors = new ConcurrentBag<string>();
        var readsDuringOutage = 0;
        // Enough writes that the load is still running when the broker goes down, and an outage longer
        // than the 5 s write budget, so writes waiting on the broker must fail rather than wait it out.
        var acknowledged = await LoadAsync(nodes, writersPerNode: 4, perWriter: 150, errors, during: async _ =>
        {
            await Task.Delay(200);
            _kafka.SetBrokerUp(1, up: false);
            using var reader = Client(nodes[1]);
            for (var i = 0; i < 10; i++)
            {
                if ((await reader.GetAsync("/subjects/before-down/versions/1")).StatusCode == HttpStatusCode.OK) readsDuringOutage++;
                await Task.Delay(100);
            }
            await Task.Delay(6500);
            _kafka.SetBrokerUp(1, up: true);
        });
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed while the broker was down");
        Assert.NotEmpty(errors);
        // Writes caught by the outage fail as the store's errors (50001, 50002). An outage longer than the session
        // timeout also costs the writer its term, so writes until the group re-elects one get 50004: retriable too. A write
        // forwarded from the other node whose answer outlasts the forwarding budget (on a loaded machine) is 50003.
        Assert.All(errors, e => Assert.True(e.Contains("\"error_code\":50001") || e.Contains("\"error_code\":50002") || e.Contains("\"error_code\":50003")
            || e.Contains("\"error_code\":50004"), e));
        Assert.Contains(errors, e => e.Contains("\"error_code\":50001") || e.Contains("\"error_code\":50002"));
        Assert.Equal(10, readsDuringOutage);

        foreach (var node in nodes)
        {
            using var http = Client(node);
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            HttpResponseMessage? r = null;
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                r = await http.PostAsync("/subjects/after-up/versions", JsonBody(Schema("After", 1)));
                if (r.IsSuccessStatusCode) break;
                await Task.Delay(250);
            }
            Assert.True(r!.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        }
        AssertInvariants(await ConvergedAsync(nodes, output), acknowledged);
    }

    [Fact]
    public async Task Dependent_writes_alternating_between_nodes_all_succeed()
    {
        var nodes = await StartNodesAsync(3);
        for (var i = 0; i < 10; i++)
        {
            var (a, b) = (nodes[i % 3], nodes[(i + 1) % 3]);
            var baseSchema = JsonSerializer.Serialize($$"""{"type":"record","name":"Base{{i}}","fields":[{"name":"f","type":"string"}]}""");
            var refSchema = JsonSerializer.Serialize($$"""{"type":"record","name":"Ref{{i}}","fields":[{"name":"b","type":"Base{{i}}"}]}""");
            await AssertOkAsync(await SendAsync(a, HttpMethod.Post, $"/subjects/dep-{i}-base/versions", $$"""{"schema":{{baseSchema}}}"""), "register on one node");
            await AssertOkAsync(await SendAsync(b, HttpMethod.Post, $"/subjects/dep-{i}-ref/versions",
                $$"""{"schema":{{refSchema}},"references":[{"name":"Base{{i}}","subject":"dep-{{i}}-base","version":1}]}"""), "reference it on another");
            await AssertOkAsync(await SendAsync(a, HttpMethod.Delete, $"/subjects/dep-{i}-ref"), "soft delete on one node");
            await AssertOkAsync(await SendAsync(b, HttpMethod.Delete, $"/subjects/dep-{i}-ref?permanent=true"), "permanent delete on another");
            await AssertOkAsync(await SendAsync(a, HttpMethod.Put, $"/mode/dep-{i}-base", """{"mode":"READONLY"}"""), "set mode on one node");
            await AssertOkAsync(await SendAsync(b, HttpMethod.Delete, $"/mode/dep-{i}-base"), "delete it on another");
            // Read-your-writes on the node that answered, though another node wrote.
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(b, HttpMethod.Get, $"/subjects/dep-{i}-ref/versions?deleted=true")).StatusCode);
        }

        // The DEK registry's keys go through the same writer.
        await KeyTrafficAsync(nodes);
        // Proposals and review policies too, as records of the registry topic.
        await ProposalTrafficAsync(nodes);

        // Exporters do not run on this store (docs/dr.md): refused clearly, nothing stored.
        var exporter = await SendAsync(nodes[0], HttpMethod.Post, "/exporters", """{"name":"dr","config":{"schema.registry.url":"http://127.0.0.1:1"}}""");
        Assert.Equal(HttpStatusCode.Conflict, exporter.StatusCode);
        Assert.Contains("40951", await exporter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("[]", await (await SendAsync(nodes[1], HttpMethod.Get, "/exporters")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_race_with_the_writer_paused_and_killed_leaves_a_topic_that_compacts_and_reads_as_Confluent_reads_it()
    {
        var nodes = await StartNodesAsync(3);
        await AssertOkAsync(await SendAsync(nodes[0], HttpMethod.Put, "/config", """{"compatibility":"NONE"}"""), "config");
        await ConvergedConfigAsync(nodes);

        var errors = new ConcurrentBag<string>();
        ServerProcess? restarted = null;
        using var stop = new CancellationTokenSource();
        var acknowledged = await LoadAsync(nodes, writersPerNode: 8, perWriter: int.MaxValue, errors, during: async _ =>
        {
            await Task.Delay(1500);
            var paused = WriterNode(nodes);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} pausing the writer {paused.Url}");
            paused.Pause();
            await Task.Delay(4500); // longer than the 3 s session timeout: the group elects another writer
            paused.Resume();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} resumed {paused.Url}");
            await Task.Delay(3000);
            var killed = WriterNode(nodes);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killing the writer {killed.Url}");
            killed.Kill();
            await Task.Delay(5000);
            restarted = await StartNodeAsync(Array.IndexOf(nodes, killed));
            _nodes.Add(restarted);
            await Task.Delay(2000);
            await stop.CancelAsync();
        }, stop.Token);
        foreach (var w in Writers()) output.WriteLine($"writer record: {w}");
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed during the pause and the kill");
        foreach (var kind in errors.GroupBy(e => e.Length > 60 ? e[..60] : e)) output.WriteLine($"  {kind.Count()} × {kind.Key}");
        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged");
        Assert.All(errors, e => Assert.True(e.Contains("\"error_code\":5000", StringComparison.Ordinal) || e.Contains("HttpRequestException", StringComparison.Ordinal), e));

        var live = nodes.Where(n => !n.HasExited).Append(restarted ?? throw new InvalidOperationException("the killed node was not restarted")).ToList();
        var listing = await ConvergedAsync(live, output);
        AssertInvariants(listing, acknowledged);

        var raw = ReadRaw("_schemas");
        AssertNoLosingRecords(raw);
        // Confluent's reader: every record in offset order, committed or not, the last per key wins.
        Assert.Equal(Rows(listing), ConfluentReader(raw));

        // The broker's compaction: the last record per key, tombstones dropped. A fresh node on that topic serves the same.
        _kafka.CreateTopic("_compacted");
        await RawTopic.WriteAsync(_kafka.BootstrapServers, "_compacted", RawTopic.Compact(raw));
        var fresh = await StartNodeAsync(9, "_compacted");
        _nodes.Add(fresh);
        using var freshClient = Client(fresh);
        using var nodeClient = Client(live[0]);
        Assert.Equal(listing.GetRawText(), await freshClient.GetStringAsync("/schemas?deleted=true"));
        Assert.Equal(await nodeClient.GetStringAsync("/config"), await freshClient.GetStringAsync("/config"));
        Assert.Equal(await nodeClient.GetStringAsync("/mode"), await freshClient.GetStringAsync("/mode"));
    }

    private IEnumerable<string> Writers() => ReadRaw("_registry")
        .Where(r => r.Value is not null && Encoding.UTF8.GetString(r.Key).Contains("WRITER", StringComparison.Ordinal))
        .Select(r => Encoding.UTF8.GetString(r.Value!));

    /// <summary>The node the registry topic names as the writer last.</summary>
    private ServerProcess WriterNode(ServerProcess[] nodes)
    {
        var url = ReadRaw("_registry").Where(r => r.Value is not null && Encoding.UTF8.GetString(r.Key).Contains("WRITER", StringComparison.Ordinal))
            .Select(r => JsonDocument.Parse(r.Value!).RootElement.GetProperty("url").GetString()).Last();
        return nodes.Single(n => n.Url == url);
    }

    private List<(byte[] Key, byte[]? Value, long Timestamp)> ReadRaw(string topic) => RawTopic.Read(_kafka.BootstrapServers, topic);

    /// <summary>No key holds two records that disagree on its id or schema: a losing record would win compaction.</summary>
    private static void AssertNoLosingRecords(List<(byte[] Key, byte[]? Value, long Timestamp)> raw)
    {
        foreach (var byKey in raw.Where(r => r.Value is not null && Encoding.UTF8.GetString(r.Key).Contains("\"SCHEMA\"", StringComparison.Ordinal))
            .GroupBy(r => Encoding.UTF8.GetString(r.Key)))
        {
            var meanings = byKey.Select(r => JsonDocument.Parse(r.Value!).RootElement).Select(v => (v.GetProperty("id").GetInt32(), v.GetProperty("schema").GetString())).Distinct().ToList();
            Assert.True(meanings.Count == 1, $"key {byKey.Key} holds {meanings.Count} meanings: {string.Join(", ", meanings)}");
        }
    }

    /// <summary>A model of Confluent's KafkaStoreReaderThread: applies every record in order and throws on a keytype it does not know.</summary>
    private static SortedSet<string> ConfluentReader(List<(byte[] Key, byte[]? Value, long Timestamp)> raw)
    {
        var versions = new Dictionary<(string Subject, int Version), (int Id, string Schema, bool Deleted)>();
        foreach (var (keyBytes, valueBytes, _) in raw)
        {
            var key = JsonDocument.Parse(keyBytes).RootElement;
            var keytype = key.GetProperty("keytype").GetString();
            switch (keytype)
            {
                case "SCHEMA":
                    var at = (key.GetProperty("subject").GetString()!, key.GetProperty("version").GetInt32());
                    if (valueBytes is null) versions.Remove(at);
                    else
                    {
                        var v = JsonDocument.Parse(valueBytes).RootElement;
                        versions[at] = (v.GetProperty("id").GetInt32(), v.GetProperty("schema").GetString()!, v.GetProperty("deleted").GetBoolean());
                    }
                    break;
                case "DELETE_SUBJECT":
                    var d = JsonDocument.Parse(valueBytes!).RootElement;
                    foreach (var k in versions.Keys.Where(k => k.Subject == d.GetProperty("subject").GetString() && k.Version <= d.GetProperty("version").GetInt32()).ToList())
                        versions[k] = versions[k] with { Deleted = true };
                    break;
                case "CONFIG" or "MODE" or "NOOP" or "CLEAR_SUBJECT" or "CONTEXT":
                    break;
                default:
                    throw new InvalidOperationException($"Confluent's key deserializer would throw on keytype {keytype}");
            }
        }
        return new SortedSet<string>(versions.Select(v => $"{v.Key.Subject} v{v.Key.Version} id {v.Value.Id}: {v.Value.Schema}"), StringComparer.Ordinal);
    }

    private static SortedSet<string> Rows(JsonElement listing) => new(listing.EnumerateArray().Select(e =>
        $"{e.GetProperty("subject").GetString()} v{e.GetProperty("version").GetInt32()} id {e.GetProperty("id").GetInt32()}: {e.GetProperty("schema").GetString()}"), StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _kafka.Dispose();
        try { Directory.Delete(_scratch, true); } catch (IOException) { }
    }
}

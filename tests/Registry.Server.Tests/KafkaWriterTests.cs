using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Registry.Server.Tests.Infrastructure;
using Registry.Storage.Kafka;
using Xunit.Abstractions;
using static Registry.Server.Tests.Infrastructure.ClusterChecks;

namespace Registry.Server.Tests;

/// <summary>
/// The Kafka store's one writer, tried as a platform team would: dependent writes alternating between nodes,
/// and a race of 3 nodes × 8 writers while the writer is paused (SIGSTOP/SIGCONT) and killed (SIGKILL); then the
/// raw topic is read as Confluent's reader reads it and compacted as the broker compacts it.
/// </summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class KafkaWriterTests(ITestOutputHelper output) : IDisposable
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "registry-kafka-writer-" + Guid.NewGuid().ToString("N"));

    private Task<ServerProcess> StartNodeAsync(int i, string topic = "_schemas")
    {
        // The mock's Metadata names controller 0, which does not exist, so admin CreateTopics cannot work on it: create the topics directly.
        _kafka.CreateTopic(topic);
        _kafka.CreateTopic(topic == "_schemas" ? "_registry" : topic + "_registry");
        return ServerProcess.StartAsync(Path.Combine(_scratch, "node" + i), "--store", "kafka", "--kafka", _kafka.BootstrapServers,
            "--Registry:Kafka:Topic=" + topic, "--Registry:PollIntervalMs=100", "--Registry:WriteTimeoutMs=8000", "--Registry:Kafka:SessionTimeoutMs=3000");
    }

    private async Task<ServerProcess[]> StartNodesAsync(int count)
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => StartNodeAsync(i)));
        _nodes.AddRange(nodes);
        return nodes;
    }

    private static async Task<HttpResponseMessage> SendAsync(ServerProcess node, HttpMethod method, string path, string? body = null)
    {
        using var http = Client(node);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonBody(body) };
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task AssertOkAsync(HttpResponseMessage response, string what)
    {
        Assert.True(response.IsSuccessStatusCode, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
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
        var load = TimedLoadAsync(nodes, writersPerNode: 8, errors, stop.Token);
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
        var acknowledged = await load;
        foreach (var w in Writers()) output.WriteLine($"writer record: {w}");
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed during the pause and the kill");
        foreach (var kind in errors.GroupBy(e => e.Length > 60 ? e[..60] : e)) output.WriteLine($"  {kind.Count()} × {kind.Key}");
        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged");
        Assert.All(errors, e => Assert.True(e.Contains("\"error_code\":5000", StringComparison.Ordinal) || e.Contains("HttpRequestException", StringComparison.Ordinal), e));

        var live = nodes.Where(n => !n.HasExited).Append(restarted).ToList();
        var listing = await ConvergedAsync(live, output);
        AssertInvariants(listing, acknowledged);

        var raw = ReadRaw("_schemas");
        AssertNoLosingRecords(raw);
        // Confluent's reader: every record in offset order, committed or not, the last per key wins.
        Assert.Equal(Rows(listing), ConfluentReader(raw));

        // The broker's compaction: the last record per key, tombstones dropped. A fresh node on that topic serves the same.
        using (var producer = new ProducerBuilder<byte[], byte[]?>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            _kafka.CreateTopic("_compacted");
            foreach (var (key, value) in Compact(raw)) await producer.ProduceAsync("_compacted", new Message<byte[], byte[]?> { Key = key, Value = value });
        }
        var fresh = await StartNodeAsync(9, "_compacted");
        _nodes.Add(fresh);
        using var freshClient = Client(fresh);
        using var nodeClient = Client(live[0]);
        // Everything but the registration time, which is the record's timestamp and new in the copied topic.
        Assert.Equal(WithoutTimestamps(listing), WithoutTimestamps(JsonDocument.Parse(await freshClient.GetStringAsync("/schemas?deleted=true")).RootElement));
        Assert.Equal(await nodeClient.GetStringAsync("/config"), await freshClient.GetStringAsync("/config"));
        Assert.Equal(await nodeClient.GetStringAsync("/mode"), await freshClient.GetStringAsync("/mode"));
    }

    /// <summary>
    /// Writers on every node until stopped, each retrying after a failure as a client would (a short pause), and
    /// registering a mix of shared and distinct schemas into shared subjects.
    /// </summary>
    private static async Task<ConcurrentBag<(string Subject, string Body, int Id, int Version)>> TimedLoadAsync(
        ServerProcess[] nodes, int writersPerNode, ConcurrentBag<string> errors, CancellationToken stop)
    {
        var acknowledged = new ConcurrentBag<(string, string, int, int)>();
        await Task.WhenAll(nodes.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            using var http = Client(node);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var subject = $"shared-{(n + w + i) % 6}";
                var body = i % 2 == 0 ? Schema("Shared", i % 10) : Schema($"Own{n}x{w}", i);
                try
                {
                    using var r = await http.PostAsync($"/subjects/{subject}/versions", JsonBody(body));
                    var text = await r.Content.ReadAsStringAsync();
                    if (r.IsSuccessStatusCode)
                    {
                        using var doc = JsonDocument.Parse(text);
                        acknowledged.Add((subject, body, doc.RootElement.GetProperty("id").GetInt32(), doc.RootElement.GetProperty("version").GetInt32()));
                        continue;
                    }
                    errors.Add($"{node.Url} {(int)r.StatusCode} {text}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    errors.Add($"{node.Url} {e.GetType().Name}");
                }
                await Task.Delay(200, CancellationToken.None);
            }
        }))));
        return acknowledged;
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

    private List<(byte[] Key, byte[]? Value)> ReadRaw(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]?>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = "raw-" + Guid.NewGuid().ToString("N"),
            EnablePartitionEof = true,
            // As Confluent's reader: no isolation level, so uncommitted records too.
            IsolationLevel = IsolationLevel.ReadUncommitted,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = new List<(byte[], byte[]?)>();
        while (consumer.Consume(TimeSpan.FromSeconds(10)) is { IsPartitionEOF: false } r) records.Add((r.Message.Key, r.Message.Value));
        return records;
    }

    /// <summary>No key holds two records that disagree on its id or schema: a losing record would win compaction.</summary>
    private static void AssertNoLosingRecords(List<(byte[] Key, byte[]? Value)> raw)
    {
        foreach (var byKey in raw.Where(r => r.Value is not null && Encoding.UTF8.GetString(r.Key).Contains("\"SCHEMA\"", StringComparison.Ordinal))
            .GroupBy(r => Encoding.UTF8.GetString(r.Key)))
        {
            var meanings = byKey.Select(r => JsonDocument.Parse(r.Value!).RootElement).Select(v => (v.GetProperty("id").GetInt32(), v.GetProperty("schema").GetString())).Distinct().ToList();
            Assert.True(meanings.Count == 1, $"key {byKey.Key} holds {meanings.Count} meanings: {string.Join(", ", meanings)}");
        }
    }

    /// <summary>A model of Confluent's KafkaStoreReaderThread: applies every record in order and throws on a keytype it does not know.</summary>
    private static SortedSet<string> ConfluentReader(List<(byte[] Key, byte[]? Value)> raw)
    {
        var versions = new Dictionary<(string Subject, int Version), (int Id, string Schema, bool Deleted)>();
        foreach (var (keyBytes, valueBytes) in raw)
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

    private static List<string> WithoutTimestamps(JsonElement listing) => listing.EnumerateArray().Select(e =>
    {
        var o = System.Text.Json.Nodes.JsonObject.Create(e)!;
        o.Remove("ts");
        return o.ToJsonString();
    }).ToList();

    private static List<(byte[] Key, byte[]? Value)> Compact(List<(byte[] Key, byte[]? Value)> raw) =>
        raw.Select((r, i) => (r.Key, r.Value, i)).GroupBy(r => Convert.ToBase64String(r.Key)).Select(g => g.Last())
            .Where(r => r.Value is not null).OrderBy(r => r.i).Select(r => (r.Key, r.Value)).ToList();

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _kafka.Dispose();
        try { Directory.Delete(_scratch, true); } catch (IOException) { }
    }
}

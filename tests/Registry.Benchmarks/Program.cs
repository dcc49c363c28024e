using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Server.Hosting;
using Registry.Storage;
using Registry.Storage.Embedded;

if (args.Length > 0 && args[0] == "--gateway")
{
    // --gateway [messages] [--kcat]: the producer is a Confluent.Kafka process of its own, or kcat with --kcat.
    await GatewayBench.RunAsync(args.Length > 1 && !args[1].StartsWith('-') ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000,
        kcat: args.Contains("--kcat"));
    return;
}
if (args.Length > 0 && args[0] == "--bare")
{
    await ReadBench.BareAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), File.ReadAllBytes(args[2]), File.ReadAllBytes(args[3]), File.ReadAllBytes(args[4]));
    return;
}
if (args.Length > 0 && args[0] == "--reads")
{
    await ReadBench.RunAsync(args);
    return;
}
if (args.Length > 0 && args[0] == "--writes")
{
    await WriteBench.RunAsync(args);
    return;
}
if (args.Length > 0 && args[0] == "--produce")
{
    // The producer side of --gateway, in a process of its own: <bootstrap> <topic> <messages> <schema id>.
    await GatewayBench.ProduceAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
    return;
}
if (args.Length > 0 && args[0] == "--exporters")
{
    await ExporterBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}
if (args.Length > 0 && args[0] == "--kafka-writes")
{
    await KafkaWriteBench.RunAsync(args);
    return;
}
if (args.Length > 0 && args[0] == "--memory")
{
    await MemoryBench.RunAsync(args);
    return;
}
if (args.Length > 0 && args[0] == "--json-validators")
{
    await ValidatorProbe.RunAsync(args.Length > 1 ? args[1] : null);
    return;
}

// Bounded loopback load: the server in-process on 127.0.0.1, a fixed number of requests per scenario,
// each reported as a ratio to GET / (a no-op) measured in the same run, since these machines are noisy.
var requests = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
const int concurrency = 8;
var dir = Path.Combine(Path.GetTempPath(), "registry-bench-" + Guid.NewGuid().ToString("N"));
var app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", dir, "--Logging:LogLevel:Default=Warning"]);
await app.StartAsync();
var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var http = new HttpClient { BaseAddress = new Uri(url) };

string Schema(int i) => $$"""{"type":"record","name":"Bench{{i}}","fields":[{"name":"id","type":"string"},{"name":"n{{i}}","type":"long"}]}""";
string Body(string schema) => "{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(schema) + "}";
const int schemas = 1000;
for (var i = 0; i < schemas; i++)
    (await http.PostAsync($"/subjects/bench-{i}/versions", new StringContent(Body(Schema(i)), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

async Task<double> Measure(string name, Func<int, Task<HttpResponseMessage>> send)
{
    for (var i = 0; i < 500; i++) (await send(i)).Dispose();
    var sw = Stopwatch.StartNew();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            using var r = await send(i);
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: {(int)r.StatusCode}");
        }
    }));
    var rate = requests / sw.Elapsed.TotalSeconds;
    Console.WriteLine($"{name,-40} {rate,10:0} req/s");
    return rate;
}

var baseline = await Measure("GET / (baseline)", _ => http.GetAsync("/"));
var byId = await Measure("GET /schemas/ids/{id}", i => http.GetAsync($"/schemas/ids/{i % schemas + 1}"));
var lookup = await Measure("POST /subjects/{s} (lookup)", i =>
    http.PostAsync($"/subjects/bench-{i % schemas}", new StringContent(Body(Schema(i % schemas)), Encoding.UTF8, "application/json")));
Console.WriteLine($"ratio GET /schemas/ids/{{id}} / baseline: {byId / baseline:0.00}");
Console.WriteLine($"ratio POST /subjects/{{s}} lookup / baseline: {lookup / baseline:0.00}");
await app.StopAsync();

// Replay: 100,000 schema events in each store, then a cold start of an engine on it.
var events = 100_000;
List<RegistryEvent> Batch(int start) => Enumerable.Range(start, Math.Min(5000, events)).Select(i => (RegistryEvent)new SchemaRegistered(
    $"replay-{i % 20_000}", i / 20_000 + 1, i, "AVRO", Schema(i), ImmutableArray<SchemaReference>.Empty, null, null, 0)).ToList();

async Task MeasureReplay(string store, Func<IRegistryLog> open)
{
    await using (var log = open())
    {
        await log.InitializeAsync(default);
        if (log is Registry.Storage.Kafka.KafkaRegistryLog kafkaLog && !await kafkaLog.WaitForWriterAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("no writer elected");
        long position = 0;
        await foreach (var entry in log.ReadAsync(0, default)) position = entry.Position;
        for (var start = 1; start <= events; start += Math.Min(5000, events)) position = await log.AppendAsync(position, Batch(start), default);
    }
    var replay = Stopwatch.StartNew();
    await using var engine = new RegistryEngine(open(), TimeSpan.FromSeconds(10));
    await engine.StartAsync(default);
    var total = replay.Elapsed.TotalMilliseconds;
    // The same read again on a fresh log without the fold, to show what the store itself costs.
    await using var bare = open();
    await bare.InitializeAsync(default);
    var read = Stopwatch.StartNew();
    var count = 0;
    await foreach (var _ in bare.ReadAsync(0, default)) count++;
    Console.WriteLine($"replay {store}: {engine.State.Position} events ({engine.State.Subjects.Count} subjects) ready in {total:0} ms; reading the {count} records alone took {read.Elapsed.TotalMilliseconds:0} ms");
}

var replayDir = Path.Combine(Path.GetTempPath(), "registry-replay-" + Guid.NewGuid().ToString("N"));
await MeasureReplay("embedded", () => new SqliteRegistryLog(replayDir));
Directory.Delete(replayDir, true);
if (args.Contains("--postgres"))
{
    await using var postgres = await Registry.Testing.PostgresServer.StartAsync();
    await MeasureReplay("postgres", () => new Registry.Storage.Postgres.MartenRegistryLog(postgres.ConnectionString(), "bench"));
}
if (args.Contains("--kafka"))
{
    // The mock cluster keeps only a few MB per partition (100,000 records fail with offset out of range), so 10,000.
    events = 10_000;
    using var kafka = new Registry.Storage.Kafka.MockKafkaCluster(1);
    kafka.CreateStoreTopics("_schemas_bench");
    await MeasureReplay("kafka (librdkafka mock cluster)", () => new Registry.Storage.Kafka.KafkaRegistryLog(
        new Registry.Storage.Kafka.KafkaLogSettings(kafka.BootstrapServers) { Topic = "_schemas_bench", ReplicationFactor = 1, Timeout = TimeSpan.FromSeconds(30), AdvertisedUrl = () => "http://bench" }));
}
Directory.Delete(dir, true);

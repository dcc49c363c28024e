using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Registry.Storage;
using Registry.Storage.Kafka;

/// <summary>
/// Writes on the Kafka store (librdkafka's mock cluster, loopback): latency of one client writing alone, and
/// throughput and latency of 16 clients spread over the nodes, with 1 and 3 registry processes; then the replay
/// time of the compacted topic. <c>--baseline DLL</c> also runs another build of Registry.Server (the one before a
/// change) in the same run, alternating with this one, and prints the ratios.
/// </summary>
internal static class KafkaWriteBench
{
    private sealed record Figures(double AloneP50, double AloneP99, double Rate, double LoadP50, double LoadP99);

    public static async Task RunAsync(string[] args)
    {
        var count = args.Skip(1).FirstOrDefault(a => int.TryParse(a, out _)) is { } c ? int.Parse(c, System.Globalization.CultureInfo.InvariantCulture) : 2000;
        var at = Array.IndexOf(args, "--baseline");
        var baseline = at >= 0 ? Path.GetFullPath(args[at + 1]) : null;
        var ours = typeof(Registry.Server.Hosting.RegistryApp).Assembly.Location;
        foreach (var nodes in new[] { 1, 3 })
        {
            var before = baseline is null ? null : await RunClusterAsync("baseline", baseline, nodes, count, replay: false);
            var after = await RunClusterAsync("this build", ours, nodes, count, replay: nodes == 3);
            if (before is not null)
                Console.WriteLine($"  ratio this build / baseline, {nodes} node(s): one client p50 {after.AloneP50 / before.AloneP50:0.00}, " +
                    $"16 clients rate {after.Rate / before.Rate:0.00}, p50 {after.LoadP50 / before.LoadP50:0.00}, p99 {after.LoadP99 / before.LoadP99:0.00}");
        }
    }

    private static async Task<Figures> RunClusterAsync(string name, string dll, int nodeCount, int count, bool replay)
    {
        using var kafka = new MockKafkaCluster(1);
        kafka.CreateStoreTopics();
        var scratch = Path.Combine(Path.GetTempPath(), "registry-kafka-bench-" + Guid.NewGuid().ToString("N"));
        var nodes = await Task.WhenAll(Enumerable.Range(0, nodeCount).Select(i => StartAsync(dll, Path.Combine(scratch, "n" + i), kafka.BootstrapServers)));
        try
        {
            var clients = nodes.Select(n => new HttpClient { BaseAddress = new Uri(n.Url), Timeout = TimeSpan.FromSeconds(30) }).ToArray();
            // The group elects the writer on its own time: until then writes answer 50004, which clients retry.
            for (var deadline = DateTime.UtcNow.AddSeconds(60); !(await clients[0].PutAsync("/config", Json("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode;)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("no writer was elected within 60 s");
                await Task.Delay(200);
            }
            // Warm-up: the first writes elect the writer and open connections.
            for (var i = 0; i < 20; i++) await Register(clients[i % clients.Length], $"warm-{i}", i);

            var alone = new List<double>();
            for (var i = 0; i < 300; i++) alone.Add(await Timed(() => Register(clients[i % clients.Length], $"alone-{i % 50}", i)));
            var loaded = new System.Collections.Concurrent.ConcurrentBag<double>();
            var next = -1;
            var failed = 0;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < count;)
                {
                    try { loaded.Add(await Timed(() => Register(clients[w % clients.Length], $"load-{i % 200}", 100_000 + i))); }
                    catch (HttpRequestException) { Interlocked.Increment(ref failed); }
                }
            })));
            var seconds = wall.Elapsed.TotalSeconds;
            Console.WriteLine($"{name}, kafka store, {nodeCount} node(s): one client p50 {P(alone, 50):0.0} ms p99 {P(alone, 99):0.0} ms; " +
                $"16 clients {loaded.Count / seconds:0} registrations/s, p50 {P(loaded, 50):0.0} ms p99 {P(loaded, 99):0.0} ms ({failed} failed)");
            foreach (var client in clients) client.Dispose();
            if (replay) await ReplayCompactedAsync(kafka);
            return new Figures(P(alone, 50), P(alone, 99), loaded.Count / seconds, P(loaded, 50), P(loaded, 99));
        }
        finally
        {
            foreach (var node in nodes) node.Kill(entireProcessTree: true);
            try { Directory.Delete(scratch, true); } catch (IOException) { }
        }
    }

    /// <summary>Compacts the topic as the broker would (last record per key, no tombstones) and times an engine's replay of it.</summary>
    private static async Task ReplayCompactedAsync(MockKafkaCluster kafka)
    {
        var raw = Registry.Testing.RawTopic.Read(kafka.BootstrapServers, "_schemas");
        var compacted = Registry.Testing.RawTopic.Compact(raw);
        kafka.CreateStoreTopics("_compacted");
        await Registry.Testing.RawTopic.WriteAsync(kafka.BootstrapServers, "_compacted", compacted);
        var watch = Stopwatch.StartNew();
        await using var engine = new RegistryEngine(new KafkaRegistryLog(new KafkaLogSettings(kafka.BootstrapServers) { Topic = "_compacted", ReplicationFactor = 1 }), TimeSpan.FromSeconds(30));
        await engine.StartAsync(default);
        Console.WriteLine($"replay of the compacted topic: {raw.Count} records compacted to {compacted.Count}, {engine.State.Schemas.Count} schemas ready in {watch.Elapsed.TotalMilliseconds:0} ms");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/vnd.schemaregistry.v1+json");

    private static async Task Register(HttpClient http, string subject, int n)
    {
        var schema = $$"""{"type":"record","name":"W{{n}}","fields":[{"name":"f{{n}}","type":"string"}]}""";
        using var reply = await http.PostAsync($"/subjects/{subject}/versions", Json("{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(schema) + "}"));
        if (!reply.IsSuccessStatusCode) throw new HttpRequestException($"{(int)reply.StatusCode} {await reply.Content.ReadAsStringAsync()}");
    }

    private static async Task<double> Timed(Func<Task> action)
    {
        var start = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double P(IEnumerable<double> samples, int percentile)
    {
        var sorted = samples.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, sorted.Count * percentile / 100)];
    }

    private static async Task<(string Url, Process Process)> StartAsync(string dll, string dataDir, string bootstrap)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "--urls", url, "--data-dir", dataDir, "--store", "kafka", "--kafka", bootstrap, "--Logging:LogLevel:Default=Warning",
            "--Registry:PollIntervalMs=100", "--Registry:Kafka:SessionTimeoutMs=3000" }) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            try
            {
                if ((await http.GetAsync(url + "/health/ready")).StatusCode == HttpStatusCode.OK) return (url, process);
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        throw new TimeoutException("a registry node did not become ready");
    }
}

internal static class ProcessTupleExtensions
{
    public static void Kill(this (string Url, Process Process) node, bool entireProcessTree)
    {
        if (!node.Process.HasExited) node.Process.Kill(entireProcessTree);
        node.Process.Dispose();
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

/// <summary>
/// Exporters against the one-shot copy, in one run: <c>registry import</c> of N schemas into an empty registry (the
/// baseline), then an exporter copying the same N from that registry into another empty one (initial sync); then
/// the exporter's lag while writers register as fast as they can on the source. Every registry is the server's own
/// binary in a process of its own, on the embedded store.
/// </summary>
internal static class ExporterBench
{
    public static async Task RunAsync(int count)
    {
        var dir = Path.Combine(Path.GetTempPath(), "registry-export-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var server = Path.Combine(AppContext.BaseDirectory, "Registry.Server.dll");
        var (sourceUrl, destinationUrl) = ($"http://127.0.0.1:{ReadBench.FreePort()}", $"http://127.0.0.1:{ReadBench.FreePort()}");
        using var source = ReadBench.Start(server, "--urls", sourceUrl, "--data-dir", Path.Combine(dir, "source"), "--Logging:LogLevel:Default=Warning",
            "--Registry:Exporters:PollIntervalMs=100");
        using var destination = ReadBench.Start(server, "--urls", destinationUrl, "--data-dir", Path.Combine(dir, "destination"), "--Logging:LogLevel:Default=Warning");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        await ReadBench.WaitAsync(http, sourceUrl + "/health/ready");
        await ReadBench.WaitAsync(http, destinationUrl + "/health/ready");

        // The backup a platform team would restore: N distinct Avro schemas, one subject each.
        var schemas = new JsonArray();
        for (var i = 1; i <= count; i++)
        {
            var schema = $$"""{"type":"record","name":"Bench{{i}}","namespace":"bench","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"},{"name":"n{{i}}","type":"int","default":0}]}""";
            schemas.Add(new JsonObject { ["subject"] = $"bench-{i}-value", ["version"] = 1, ["id"] = i, ["schemaType"] = "AVRO", ["schema"] = schema, ["deleted"] = false });
        }
        var file = Path.Combine(dir, "backup.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["format"] = "registry-export/2", ["schemas"] = schemas, ["configs"] = new JsonArray(), ["modes"] = new JsonArray() }.ToJsonString());

        var import = Stopwatch.StartNew();
        // The CLI without its progress display, as CI runs it.
        Environment.SetEnvironmentVariable("CI", "true");
        using (var cli = ReadBench.Start(Path.Combine(AppContext.BaseDirectory, "registry.dll"), "import", "--url", sourceUrl, "--file", file))
        {
            await cli.WaitForExitAsync();
            if (cli.ExitCode != 0) throw new InvalidOperationException($"registry import exited with {cli.ExitCode}");
        }
        import.Stop();

        var sync = Stopwatch.StartNew();
        var body = new StringContent($$$"""{"name":"bench","contextType":"NONE","config":{"schema.registry.url":"{{{destinationUrl}}}"}}""", Encoding.UTF8, "application/json");
        (await http.PostAsync(sourceUrl + "/exporters", body)).EnsureSuccessStatusCode();
        await CaughtUpAsync(http, sourceUrl, TimeSpan.FromMinutes(30));
        sync.Stop();
        var copied = JsonDocument.Parse(await http.GetStringAsync(destinationUrl + "/subjects")).RootElement.GetArrayLength();
        if (copied != count) throw new InvalidOperationException($"the destination holds {copied} subjects, not {count}");

        Console.WriteLine($"exporters: {count} schemas, embedded store, every registry in a process of its own");
        Console.WriteLine("| copy of N schemas into an empty registry | seconds | schemas/s | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| `registry import` (baseline) | {import.Elapsed.TotalSeconds:0.0} | {count / import.Elapsed.TotalSeconds:N0} | 1.00 |");
        Console.WriteLine($"| exporter initial sync | {sync.Elapsed.TotalSeconds:0.0} | {count / sync.Elapsed.TotalSeconds:N0} | {import.Elapsed.TotalSeconds / sync.Elapsed.TotalSeconds:0.00} |");

        // Steady state: four writers register new versions as fast as the source takes them, for ten seconds.
        (await http.PutAsync(sourceUrl + "/mode", new StringContent("""{"mode":"READWRITE"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await http.PutAsync(sourceUrl + "/config", new StringContent("""{"compatibility":"NONE"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var lagSeconds = new List<double>();
        var lagEvents = new List<long>();
        var written = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var schema = $$"""{"type":"record","name":"Load{{w}}x{{i}}","fields":[{"name":"id","type":"string"}]}""";
                using var r = await http.PostAsync($"{sourceUrl}/subjects/load-{w}-{i}/versions", new StringContent("{\"schema\":" + JsonSerializer.Serialize(schema) + "}", Encoding.UTF8, "application/json"));
                r.EnsureSuccessStatusCode();
                Interlocked.Increment(ref written);
            }
        })).ToList();
        while (!stop.IsCancellationRequested)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync(sourceUrl + "/exporters/bench/status")).RootElement;
            lagSeconds.Add(status.GetProperty("lagSeconds").GetDouble());
            lagEvents.Add(status.GetProperty("lagEvents").GetInt64());
            await Task.Delay(200);
        }
        await Task.WhenAll(writers);
        var drain = Stopwatch.StartNew();
        await CaughtUpAsync(http, sourceUrl, TimeSpan.FromMinutes(5));
        drain.Stop();
        lagSeconds.Sort();
        lagEvents.Sort();
        Console.WriteLine();
        Console.WriteLine($"steady state: 4 writers for 10 s on the source, {written / 10.0:N0} registrations/s; lag sampled every 200 ms ({lagSeconds.Count} samples)");
        Console.WriteLine($"| lag | median | p95 | max |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| seconds | {lagSeconds[lagSeconds.Count / 2]:0.00} | {lagSeconds[(int)(lagSeconds.Count * 0.95)]:0.00} | {lagSeconds[^1]:0.00} |");
        Console.WriteLine($"| log entries | {lagEvents[lagEvents.Count / 2]} | {lagEvents[(int)(lagEvents.Count * 0.95)]} | {lagEvents[^1]} |");
        Console.WriteLine($"caught up {drain.Elapsed.TotalSeconds:0.00} s after the writers stopped");

        source.Kill();
        destination.Kill();
        await source.WaitForExitAsync();
        await destination.WaitForExitAsync();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    private static async Task CaughtUpAsync(HttpClient http, string url, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync(url + "/exporters/bench/status")).RootElement;
            if (status.GetProperty("state").GetString() == "RUNNING" && status.TryGetProperty("lagEvents", out var lag) && lag.ValueKind == JsonValueKind.Number && lag.GetInt64() <= 1
                && status.GetProperty("trace").GetString() == "")
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the exporter did not catch up");
    }
}

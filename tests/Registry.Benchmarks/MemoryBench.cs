using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Storage.Embedded;

/// <summary>
/// Memory per stored schema: the server's own binary, in a process of its own, at rest after a restart on a log of
/// N distinct Avro schemas (about 300 bytes each, one subject each), against the same binary idle on an empty store;
/// then the peak while registering them over HTTP (parsing fills the parsed-schema cache, bounded by
/// <c>Registry:ParsedSchemaCacheBytes</c>). Resident sizes are read from <c>/proc/PID/status</c>.
/// </summary>
internal static class MemoryBench
{
    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60_000;
        var http = args.Contains("--http");
        // --budget BYTES: every server of the run gets Registry:MemoryBudgetBytes.
        var budget = Array.IndexOf(args, "--budget") is var at and >= 0 ? long.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _serverArgs = budget > 0 ? [$"--Registry:MemoryBudgetBytes={budget}"] : [];
        var dir = Path.Combine(Path.GetTempPath(), "registry-memory-" + Guid.NewGuid().ToString("N"));
        var filled = Path.Combine(dir, "filled");
        await using (var log = new SqliteRegistryLog(filled))
        {
            await log.InitializeAsync(default);
            long position = 0;
            for (var start = 0; start < count; start += 5000)
            {
                var batch = Enumerable.Range(start, Math.Min(5000, count - start)).Select(i => (RegistryEvent)Registered(i)).ToList();
                position = await log.AppendAsync(position, batch, default);
            }
        }
        // The fold alone, in this process: managed bytes the state keeps per schema, and its time per event.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var state = Registry.Core.State.RegistryState.Empty;
        for (var i = 0; i < count; i++)
            state = state.Apply(Registered(i));
        var fold = clock.Elapsed.TotalMilliseconds;
        var kept = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(state);
        Console.WriteLine($"fold: {count:N0} events in {fold:0} ms ({fold * 1000 / count:0.0} µs each); the state keeps {kept / (double)count:N0} managed bytes per schema");
        state = null;
        Console.WriteLine($"memory: {count:N0} Avro schemas of about {Schema(count / 2).Length} characters, one subject each; the server binary in a process of its own"
            + (budget > 0 ? $", Registry:MemoryBudgetBytes={budget} ({budget >> 20} MiB)" : ", no memory budget"));
        var idle = await AtRestAsync(Path.Combine(dir, "empty"));
        var loaded = await AtRestAsync(filled);
        Console.WriteLine("| measurement | resident MiB | per schema |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| idle, empty store | {idle.Rss / 1048576.0:0} | |");
        Console.WriteLine($"| at rest after a restart on {count:N0} schemas (ready in {loaded.ReadyMs:0} ms) | {loaded.Rss / 1048576.0:0} | {(loaded.Rss - idle.Rss) / (double)count:N0} B |");
        Console.WriteLine($"| peak during that replay | {loaded.Peak / 1048576.0:0} | |");
        if (http)
        {
            var (peak, rest) = await RegisterAsync(Path.Combine(dir, "http"), count);
            Console.WriteLine($"| peak while registering {count:N0} over HTTP (8 clients) | {peak / 1048576.0:0} | |");
            Console.WriteLine($"| after registering them | {rest / 1048576.0:0} | {(rest - idle.Rss) / (double)count:N0} B |");
        }
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    /// <summary>The registration of schema <paramref name="i"/>: version 1 of a subject of its own, id i + 1.</summary>
    private static SchemaRegistered Registered(int i) =>
        new(Subject(i), 1, i + 1, "AVRO", Schema(i), ImmutableArray<SchemaReference>.Empty, null, null, 1_700_000_000_000 + i);

    private static string Subject(int i) => $"com.example.orders.order-event-{i:D7}-value";

    /// <summary>An Avro record of about 300 characters, distinct per <paramref name="i"/>.</summary>
    private static string Schema(int i) =>
        $$"""{"type":"record","name":"OrderEvent{{i}}","namespace":"com.example.orders","doc":"An order placed by a customer","fields":[{"name":"id","type":"string"},{"name":"customer","type":"string"},{"name":"amount","type":"long"},{"name":"currency","type":"string","default":"EUR"},{"name":"n{{i}}","type":["null","int"],"default":null}]}""";

    private static async Task<(long Rss, long Peak, double ReadyMs)> AtRestAsync(string dataDir)
    {
        var clock = Stopwatch.StartNew();
        var (server, client) = await StartAsync(dataDir);
        using var _ = server;
        using var __ = client;
        var ready = clock.Elapsed.TotalMilliseconds;
        // At rest: what stays once start-up garbage has had time to be collected.
        await Task.Delay(5000);
        var (rss, peak) = Resident(server.Id);
        foreach (var line in (await client.GetStringAsync("/metrics")).Split('\n').Where(l => l.StartsWith("dotnet_total_memory_bytes", StringComparison.Ordinal) || l.StartsWith("process_working_set_bytes", StringComparison.Ordinal) || l.StartsWith("registry_server_memory_", StringComparison.Ordinal)))
            Console.WriteLine("  " + line);
        server.Kill();
        await server.WaitForExitAsync();
        return (rss, peak, ready);
    }

    private static async Task<(long Peak, long Resident)> RegisterAsync(string dataDir, int count)
    {
        var (server, client) = await StartAsync(dataDir);
        using var _ = server;
        using var __ = client;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var body = "{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(Schema(i)) + "}";
                using var r = await client.PostAsync($"/subjects/{Subject(i)}/versions", new StringContent(body, Encoding.UTF8, "application/json"));
                r.EnsureSuccessStatusCode();
            }
        }));
        await Task.Delay(5000);
        var (rss, peak) = Resident(server.Id);
        server.Kill();
        await server.WaitForExitAsync();
        return (peak, rss);
    }

    /// <summary>The server binary on a data directory, in a process of its own, once ready; and a client for it.</summary>
    private static string[] _serverArgs = [];

    private static async Task<(Process Server, HttpClient Client)> StartAsync(string dataDir)
    {
        var url = $"http://127.0.0.1:{ReadBench.FreePort()}";
        var server = ReadBench.Start(Path.Combine(AppContext.BaseDirectory, "Registry.Server.dll"), ["--urls", url, "--data-dir", dataDir, "--Logging:LogLevel:Default=Warning", .. _serverArgs]);
        var client = new HttpClient { BaseAddress = new Uri(url) };
        await ReadBench.WaitAsync(client, url + "/health/ready", seconds: 600); // a replay of 1M schemas takes longer than a start
        return (server, client);
    }

    /// <summary>VmRSS and VmHWM (the peak) of a process, in bytes.</summary>
    private static (long Rss, long Peak) Resident(int pid)
    {
        long Field(string[] lines, string name) =>
            long.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        var status = File.ReadAllLines($"/proc/{pid}/status");
        return (Field(status, "VmRSS:"), Field(status, "VmHWM:"));
    }
}

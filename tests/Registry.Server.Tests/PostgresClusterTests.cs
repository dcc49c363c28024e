using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using Xunit.Abstractions;

namespace Registry.Server.Tests;

/// <summary>Several registry processes on one real Postgres: one truth, nothing lost, recovery without restarts.</summary>
[Trait("Category", "Slow")]
[Trait("Category", "Postgres")]
public sealed class PostgresClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "registry-cluster-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) node.Dispose();
        await _postgres.DisposeAsync();
        try { Directory.Delete(_scratch, true); } catch (IOException) { }
    }

    private async Task<ServerProcess[]> StartNodesAsync(int count)
    {
        // All at once on an empty database: one creates the schema objects, the others wait for it.
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => ServerProcess.StartAsync(
            Path.Combine(_scratch, "node" + i), "--store", "postgres", "--postgres", _postgres.ConnectionString(),
            "--Registry:PollIntervalMs=250", "--Registry:WriteTimeoutMs=5000")));
        _nodes.AddRange(nodes);
        return nodes;
    }

    private static HttpClient Client(ServerProcess node) => new() { BaseAddress = new Uri(node.Url), Timeout = TimeSpan.FromSeconds(20) };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/vnd.schemaregistry.v1+json");

    private static string Schema(string name, int n) =>
        "{\"schema\":" + JsonSerializer.Serialize($$"""{"type":"record","name":"{{name}}","fields":[{"name":"f{{n}}","type":"string"}]}""") + "}";

    /// <summary>Writers on every node registering a mix of shared and distinct schemas into shared subjects.</summary>
    private static async Task<ConcurrentBag<(string Subject, string Body, int Id, int Version)>> LoadAsync(
        ServerProcess[] nodes, int writersPerNode, int perWriter, ConcurrentBag<string> errors, Func<int, Task>? during = null)
    {
        var acknowledged = new ConcurrentBag<(string, string, int, int)>();
        var done = 0;
        var writers = nodes.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            using var http = Client(node);
            for (var i = 0; i < perWriter; i++)
            {
                var subject = $"shared-{(n + w + i) % 6}";
                var body = i % 2 == 0 ? Schema("Shared", i % 10) : Schema($"Own{n}x{w}", i);
                try
                {
                    using var r = await http.PostAsync($"/subjects/{subject}/versions", Json(body));
                    var text = await r.Content.ReadAsStringAsync();
                    if (r.IsSuccessStatusCode)
                    {
                        using var doc = JsonDocument.Parse(text);
                        acknowledged.Add((subject, body, doc.RootElement.GetProperty("id").GetInt32(), doc.RootElement.GetProperty("version").GetInt32()));
                    }
                    else errors.Add($"{node.Url} {(int)r.StatusCode} {text}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    errors.Add($"{node.Url} {e.GetType().Name}");
                }
                Interlocked.Increment(ref done);
            }
        }))).ToList();
        if (during is not null)
        {
            var total = nodes.Length * writersPerNode * perWriter;
            await during(total);
            _ = done;
        }
        await Task.WhenAll(writers);
        return acknowledged;
    }

    /// <summary>Waits until every node lists the same schemas, and returns that listing.</summary>
    private async Task<JsonElement> ConvergedAsync(IEnumerable<ServerProcess> nodes)
    {
        var clients = nodes.Select(Client).ToList();
        var deadline = Stopwatch.StartNew();
        string[] listings = [];
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            listings = await Task.WhenAll(clients.Select(c => c.GetStringAsync("/schemas?deleted=true")));
            if (listings.Distinct().Count() == 1) break;
            await Task.Delay(100);
        }
        foreach (var c in clients) c.Dispose();
        Assert.True(listings.Distinct().Count() == 1, "nodes did not converge within 30 s:\n" + string.Join("\n", listings.Select(l => l[..Math.Min(300, l.Length)])));
        output.WriteLine($"converged {deadline.ElapsedMilliseconds} ms after the load ended");
        return JsonDocument.Parse(listings[0]).RootElement;
    }

    private static void AssertInvariants(JsonElement listing, IEnumerable<(string Subject, string Body, int Id, int Version)> acknowledged)
    {
        var rows = listing.EnumerateArray().Select(e => (
            Subject: e.GetProperty("subject").GetString()!, Version: e.GetProperty("version").GetInt32(),
            Id: e.GetProperty("id").GetInt32(), Schema: e.GetProperty("schema").GetString()!)).ToList();
        foreach (var bySchema in rows.GroupBy(r => r.Schema)) Assert.Single(bySchema.Select(r => r.Id).Distinct());
        foreach (var byId in rows.GroupBy(r => r.Id)) Assert.Single(byId.Select(r => r.Schema).Distinct());
        foreach (var bySubject in rows.GroupBy(r => r.Subject))
        {
            var versions = bySubject.Select(r => r.Version).Order().ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count), versions);
            Assert.Equal(bySubject.Count(), bySubject.Select(r => r.Schema).Distinct().Count());
        }
        var present = rows.Select(r => (r.Subject, r.Id, r.Version)).ToHashSet();
        foreach (var a in acknowledged) Assert.Contains((a.Subject, a.Id, a.Version), present);
    }

    [Fact]
    public async Task Three_nodes_with_eight_writers_each_agree_and_survive_a_SIGKILL()
    {
        var nodes = await StartNodesAsync(3);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", Json("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
        await ConvergedConfigAsync(nodes);

        var errors = new ConcurrentBag<string>();
        var acknowledged = await LoadAsync(nodes, writersPerNode: 8, perWriter: 30, errors, during: async _ =>
        {
            await Task.Delay(1500);
            nodes[2].Kill();
        });
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed (writes to the killed node fail)");
        Assert.True(acknowledged.Count > 300, $"only {acknowledged.Count} writes acknowledged");
        Assert.All(errors, e => Assert.StartsWith(nodes[2].Url, e));

        var listing = await ConvergedAsync(nodes.Take(2));
        AssertInvariants(listing, acknowledged);

        // The killed node comes back, replays, and agrees.
        var restarted = await ServerProcess.StartAsync(Path.Combine(_scratch, "node2b"), "--store", "postgres", "--postgres", _postgres.ConnectionString());
        _nodes.Add(restarted);
        await ConvergedAsync([nodes[0], nodes[1], restarted]);
        await MeasureConvergenceAsync(nodes[0], nodes[1]);
    }

    [Fact]
    public async Task A_Postgres_restart_during_load_gives_store_errors_then_recovers_by_itself()
    {
        var nodes = await StartNodesAsync(2);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", Json("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
        await ConvergedConfigAsync(nodes);

        var errors = new ConcurrentBag<string>();
        var sawNotReady = false;
        var acknowledged = await LoadAsync(nodes, writersPerNode: 4, perWriter: 60, errors, during: async _ =>
        {
            await Task.Delay(500);
            await _postgres.StopServerAsync("immediate");
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            for (var i = 0; i < 20 && !sawNotReady; i++)
            {
                sawNotReady = (await probe.GetAsync(nodes[0].Url + "/health/ready")).StatusCode != System.Net.HttpStatusCode.OK;
                await Task.Delay(100);
            }
            await Task.Delay(1000);
            await _postgres.StartServerAsync();
        });
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed while Postgres was down");
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.True(e.Contains("\"error_code\":50001") || e.Contains("\"error_code\":50002"), e));
        Assert.True(sawNotReady, "/health/ready never reported not-ready while Postgres was down");

        // Both nodes recover without a restart: writes succeed and readiness returns.
        foreach (var node in nodes)
        {
            using var http = Client(node);
            var deadline = Stopwatch.StartNew();
            HttpResponseMessage? r = null;
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                r = await http.PostAsync("/subjects/after-restart/versions", Json(Schema("After", 1)));
                if (r.IsSuccessStatusCode && (await http.GetAsync("/health/ready")).IsSuccessStatusCode) break;
                await Task.Delay(250);
            }
            Assert.True(r!.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        }
        AssertInvariants(await ConvergedAsync(nodes), acknowledged);
    }

    private static async Task ConvergedConfigAsync(IEnumerable<ServerProcess> nodes)
    {
        foreach (var node in nodes)
        {
            using var http = Client(node);
            var deadline = Stopwatch.StartNew();
            while (!(await http.GetStringAsync("/config")).Contains("NONE") && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        }
    }

    /// <summary>Write on one node, time until another node serves it; the figure goes to docs/performance.md.</summary>
    private async Task MeasureConvergenceAsync(ServerProcess writer, ServerProcess reader)
    {
        using var w = Client(writer);
        using var r = Client(reader);
        var samples = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            using var reply = await w.PostAsync($"/subjects/convergence-{i}/versions", Json(Schema("Convergence", i)));
            Assert.True(reply.IsSuccessStatusCode);
            var sw = Stopwatch.StartNew();
            while ((await r.GetAsync($"/subjects/convergence-{i}/versions/1")).StatusCode != System.Net.HttpStatusCode.OK)
            {
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "a write did not reach the other node within 5 s");
                await Task.Delay(2);
            }
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        output.WriteLine($"convergence to another node: median {samples[10]:0.0} ms, max {samples[^1]:0.0} ms over 20 writes");
    }
}

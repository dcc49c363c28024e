using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using Xunit.Abstractions;
using static Registry.Server.Tests.Infrastructure.ClusterChecks;

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

    private async Task<ServerProcess[]> StartNodesAsync(int count, params string[] extra)
    {
        // All at once on an empty database: one creates the schema objects, the others wait for it.
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => ServerProcess.StartAsync(
            Path.Combine(_scratch, "node" + i), ["--store", "postgres", "--postgres", _postgres.ConnectionString(),
            "--Registry:PollIntervalMs=250", "--Registry:WriteTimeoutMs=5000", .. extra])));
        _nodes.AddRange(nodes);
        return nodes;
    }

    [Fact]
    public async Task Three_nodes_with_eight_writers_each_agree_and_survive_a_SIGKILL()
    {
        var nodes = await StartNodesAsync(3);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
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

        var listing = await ConvergedAsync(nodes.Take(2), output);
        AssertInvariants(listing, acknowledged);

        // The killed node comes back, replays, and agrees.
        var restarted = await ServerProcess.StartAsync(Path.Combine(_scratch, "node2b"), "--store", "postgres", "--postgres", _postgres.ConnectionString());
        _nodes.Add(restarted);
        await ConvergedAsync([nodes[0], nodes[1], restarted], output);
        await MeasureConvergenceAsync(nodes[0], nodes[1], output);
        // The DEK registry's keys on the same database, the restarted node among the writers.
        await KeyTrafficAsync([nodes[0], nodes[1], restarted]);
        await ProposalTrafficAsync([nodes[0], nodes[1], restarted]);
    }

    [Fact]
    public async Task A_Postgres_restart_during_load_gives_store_errors_then_recovers_by_itself()
    {
        var nodes = await StartNodesAsync(2);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
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
                r = await http.PostAsync("/subjects/after-restart/versions", JsonBody(Schema("After", 1)));
                if (r.IsSuccessStatusCode && (await http.GetAsync("/health/ready")).IsSuccessStatusCode) break;
                await Task.Delay(250);
            }
            Assert.True(r!.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        }
        AssertInvariants(await ConvergedAsync(nodes, output), acknowledged);
    }

    [Fact]
    public async Task One_node_runs_an_exporter_and_another_takes_it_over_when_that_node_is_killed()
    {
        await using var destination = new RegistryServer();
        await destination.InitializeAsync();
        var nodes = await StartNodesAsync(2, ExporterTests.Fast);
        using var first = Client(nodes[0]);
        using var second = Client(nodes[1]);
        for (var i = 0; i < 20; i++)
            Assert.True((await first.PostAsync($"/subjects/s{i}/versions", JsonBody(Schema("S" + i, 1)))).IsSuccessStatusCode);
        Assert.True((await second.PostAsync("/exporters", JsonBody($$$"""{"name":"dr","config":{"schema.registry.url":"{{{destination.Url}}}"}}"""))).IsSuccessStatusCode);

        await WaitAsync(async () => (await first.GetAsync("/exporters/dr/status")).IsSuccessStatusCode);
        // Exactly one node runs it (only that node reports lag), both name the same node, every time we look.
        int runner = -1;
        for (var look = 0; look < 10; look++)
        {
            var statuses = await Task.WhenAll(first.GetStringAsync("/exporters/dr/status"), second.GetStringAsync("/exporters/dr/status"));
            var local = statuses.Select(s => JsonDocument.Parse(s).RootElement).Select(s => s.TryGetProperty("lagEvents", out var lag) && lag.ValueKind == JsonValueKind.Number).ToArray();
            Assert.True(local.Count(l => l) <= 1, string.Join(" / ", statuses));
            if (local.Any(l => l)) runner = Array.IndexOf(local, true);
            await Task.Delay(200);
        }
        Assert.InRange(runner, 0, 1);
        var runnerStatus = await ExporterTests.CaughtUpAsync(runner == 0 ? first : second, "dr");
        var other = runner == 0 ? second : first;
        await WaitAsync(async () => JsonDocument.Parse(await other.GetStringAsync("/exporters/dr/status")).RootElement.GetProperty("node").GetString() == runnerStatus.GetProperty("node").GetString());
        Assert.Equal(20, JsonDocument.Parse((await destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body).RootElement.GetArrayLength());

        // SIGKILL: no lease is given up; the other node takes the exporter over once the lease (3 s) runs out.
        nodes[runner].Kill();
        var killed = Stopwatch.StartNew();
        for (var i = 20; i < 30; i++)
            Assert.True((await other.PostAsync($"/subjects/s{i}/versions", JsonBody(Schema("S" + i, 1)))).IsSuccessStatusCode);
        await ExporterTests.CaughtUpAsync(other, "dr", seconds: 60);
        output.WriteLine($"taken over and caught up {killed.ElapsedMilliseconds} ms after the SIGKILL (lease 3000 ms)");
        Assert.Equal(30, JsonDocument.Parse((await destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body).RootElement.GetArrayLength());
        for (var i = 0; i < 30; i++)
            Assert.Equal("[1]", (await destination.GetAsync($"/subjects/:.dr:s{i}/versions?deleted=true")).Body);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not hold within 30 s");
            await Task.Delay(100);
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>
/// Registry:MemoryBudgetBytes is the garbage collector's hard limit, which is the process's own: so the server runs as
/// a process of its own here, as deployed.
/// </summary>
public sealed class MemoryBudgetTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "registry-budget-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_memory_budget_becomes_the_heaps_hard_limit_and_caps_the_parsed_schema_cache()
    {
        const long budget = 192L << 20;
        using (var server = await ServerProcess.StartAsync(_dir, $"--Registry:MemoryBudgetBytes={budget}"))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            for (var i = 0; i < 50; i++)
            {
                var schema = $$"""{"type":"record","name":"Budget{{i}}","fields":[{"name":"f{{i}}","type":"long"}]}""";
                (await http.PostAsJsonAsync($"/subjects/budget-{i}/versions", new { schema })).EnsureSuccessStatusCode();
            }
            var metrics = await MetricsAsync(http);
            Assert.Equal(budget, metrics["registry_server_memory_budget_bytes"]);
            Assert.Equal(budget, metrics["registry_server_memory_heap_limit_bytes"]);
            // The cache's default (256 MiB) is more than a quarter of the budget, so it gets the quarter.
            Assert.Equal(budget / 4, metrics["registry_server_parsed_schema_cache_budget_bytes"]);
            Assert.InRange(metrics["registry_server_parsed_schema_cache_bytes"], 1, budget / 4);
        }
        // A restart replays under the same limit, and everything is there.
        using (var again = await ServerProcess.StartAsync(_dir, $"--Registry:MemoryBudgetBytes={budget}"))
        {
            using var http = new HttpClient { BaseAddress = new Uri(again.Url) };
            Assert.Equal(50, (await http.GetFromJsonAsync<string[]>("/subjects"))!.Length);
        }
    }

    [Fact]
    public async Task Near_the_budget_changes_are_refused_with_50001_while_reads_and_unchanged_registrations_are_answered()
    {
        const string schema = """{"type":"record","name":"Kept","fields":[{"name":"a","type":"long"}]}""";
        using (var server = await ServerProcess.StartAsync(_dir, "--Registry:MemoryBudgetBytes=67108864"))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            (await http.PostAsJsonAsync("/subjects/kept/versions", new { schema })).EnsureSuccessStatusCode();
        }
        // 1% of 64 MiB (0.64 MiB) is less than any started server's heap (3 MiB or more), so the node is "nearly full" from the start.
        using var full = await ServerProcess.StartAsync(_dir, "--Registry:MemoryBudgetBytes=67108864", "--Registry:MemoryBudgetWritePercent=1");
        using var client = new HttpClient { BaseAddress = new Uri(full.Url) };
        using var refused = await client.PostAsJsonAsync("/subjects/other/versions", new { schema = """{"type":"record","name":"New","fields":[{"name":"b","type":"long"}]}""" });
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(500, (int)refused.StatusCode);
        Assert.Equal(50001, System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("error_code").GetInt32());
        Assert.Contains("Registry:MemoryBudgetBytes", body);
        // A serializer registering what the subject already has changes nothing, so it is answered with its id.
        using var again = await client.PostAsJsonAsync("/subjects/kept/versions", new { schema });
        Assert.True(again.IsSuccessStatusCode, await again.Content.ReadAsStringAsync());
        Assert.Equal(["kept"], (await client.GetFromJsonAsync<string[]>("/subjects"))!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/subjects/kept/versions/latest")).StatusCode);
    }

    [Fact]
    public async Task Without_a_budget_the_limit_is_the_machines_and_a_budget_too_small_to_run_in_is_refused_at_start()
    {
        using (var server = await ServerProcess.StartAsync(_dir))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            var metrics = await MetricsAsync(http);
            Assert.Equal(0, metrics["registry_server_memory_budget_bytes"]);
            Assert.True(metrics["registry_server_memory_heap_limit_bytes"] > 192L << 20);
            Assert.Equal(256L << 20, metrics["registry_server_parsed_schema_cache_budget_bytes"]);
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(_dir + "-small", "--Registry:MemoryBudgetBytes=1000000"));
        Assert.Contains("exited", refused.Message);
    }

    private static async Task<Dictionary<string, long>> MetricsAsync(HttpClient http) =>
        (await http.GetStringAsync("/metrics")).Split('\n')
            .Where(l => l.StartsWith("registry_server_", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 2 && !p[0].Contains('{', StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => (long)double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        foreach (var dir in new[] { _dir, _dir + "-small" })
        {
            try { Directory.Delete(dir, true); } catch (DirectoryNotFoundException) { }
        }
    }
}

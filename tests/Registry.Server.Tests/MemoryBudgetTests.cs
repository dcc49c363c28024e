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

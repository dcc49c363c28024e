using System.Globalization;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>/metrics in Prometheus format moves with requests; health endpoints answer.</summary>
[Collection(ServerCollection.Name)]
public sealed class ObservabilityTests(RegistryServer server)
{
    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var text = await server.Http.GetStringAsync("/metrics");
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            Assert.True(space > 0, $"not a Prometheus sample line: {line}");
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return samples;
    }

    private static double Get(Dictionary<string, double> samples, string name) => samples.GetValueOrDefault(name);

    [Fact]
    public async Task Registrations_failures_and_request_counts_move()
    {
        var before = await ScrapeAsync();
        Assert.Equal(200, (await server.PostAsync("/subjects/metrics-s/versions", Body(Schemas.Record("Metrics", Schemas.Field("a", "string"))))).Status);
        Assert.Equal(409, (await server.PostAsync("/subjects/metrics-s/versions", Body(Schemas.Record("Metrics", Schemas.Field("a", "int"))))).Status);
        var after = await ScrapeAsync();
        var shown = string.Join("\n", after.Where(kv => kv.Key.StartsWith("registry_", StringComparison.Ordinal) && !kv.Key.Contains("bucket", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value}"));

        Assert.True(Get(after, "registry_server_registrations{type=\"AVRO\"}") >= Get(before, "registry_server_registrations{type=\"AVRO\"}") + 1, shown);
        Assert.True(Get(after, "registry_server_compatibility_failures") >= Get(before, "registry_server_compatibility_failures") + 1, shown);
        var requests = "http_request_duration_seconds_count{code=\"200\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/subjects/{subject}/versions\"}";
        Assert.True(Get(after, requests) >= Get(before, requests) + 1, shown);
        // The refused registration is counted with the status it was answered with.
        var refused = requests.Replace("code=\"200\"", "code=\"409\"", StringComparison.Ordinal);
        Assert.True(Get(after, refused) >= Get(before, refused) + 1, shown);
        var received = requests.Replace("http_request_duration_seconds_count", "http_requests_received_total", StringComparison.Ordinal);
        Assert.True(Get(after, received) >= Get(before, received) + 1, shown);
        Assert.Contains("http_requests_in_progress{method=\"POST\",controller=\"\",action=\"\",endpoint=\"/subjects/{subject}/versions\"}", after.Keys);
        // A method of the client's own invention is counted as OTHER: clients cannot grow the label space.
        await server.SendAsync(new HttpMethod("BREW"), "/subjects");
        Assert.Contains((await ScrapeAsync()).Keys, k => k.StartsWith("http_request_duration_seconds_count{", StringComparison.Ordinal) && k.Contains("method=\"OTHER\"", StringComparison.Ordinal));
        Assert.True(Get(after, "registry_storage_store_append_seconds_count{outcome=\"ok\"}") >= 1);
        // Gauges are process-wide and this test process hosts several servers: their presence is what can be asserted here.
        Assert.Contains("registry_server_ready", after.Keys);
        Assert.Contains("registry_storage_log_position", after.Keys);
        Assert.Contains("registry_server_parsed_schema_cache_bytes", after.Keys);
        Assert.Contains("registry_server_parsed_schema_cache_entries", after.Keys);
    }

    [Fact]
    public async Task Only_the_registrys_own_meters_are_exported_and_json_answers_carry_their_length()
    {
        Assert.Equal(200, (await server.PostAsync("/subjects/metrics-length/versions", Body(Schemas.Record("MetricsLength", Schemas.Field("é", "string"))))).Status);
        using var response = await server.Http.GetAsync("/subjects/metrics-length/versions/latest");
        var body = await response.Content.ReadAsByteArrayAsync();
        // Written once with its length, not chunked.
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Null(response.Headers.TransferEncodingChunked is true ? "chunked" : null);
        Assert.Contains("é", System.Text.Encoding.UTF8.GetString(body));
        var samples = await ScrapeAsync();
        // ASP.NET Core's and Kestrel's meters are not bridged (http_request_duration_seconds counts requests already):
        // listening to them made every request record a tagged measurement.
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("microsoft_aspnetcore_", StringComparison.Ordinal));
        Assert.Contains(samples.Keys, k => k.StartsWith("http_request_duration_seconds_count", StringComparison.Ordinal));
        Assert.Contains(samples.Keys, k => k.StartsWith("system_runtime_dotnet_gc_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        Assert.Equal("live", await server.Http.GetStringAsync("/health/live"));
        Assert.Equal("ready", await server.Http.GetStringAsync("/health/ready"));
    }
}

/// <summary>Per-client rate limits: 429 with Retry-After and a Confluent body; health is never limited.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:RateLimitPerSecond=1", "--Registry:RateLimitBurst=3"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Requests_over_the_limit_get_429_with_retry_after()
    {
        var statuses = new List<int>();
        string? retryAfter = null;
        string? body = null;
        for (var i = 0; i < 10; i++)
        {
            using var response = await _server.Http.GetAsync("/subjects");
            statuses.Add((int)response.StatusCode);
            if ((int)response.StatusCode == 429)
            {
                retryAfter ??= response.Headers.RetryAfter?.ToString();
                body ??= await response.Content.ReadAsStringAsync();
            }
        }
        Assert.Contains(200, statuses);
        Assert.Contains(429, statuses);
        Assert.NotNull(retryAfter);
        Assert.Contains("\"error_code\":429", body);
        for (var i = 0; i < 10; i++) Assert.Equal("live", await _server.Http.GetStringAsync("/health/live"));
    }
}

public sealed class ContextRateLimitTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:RateLimitPerContextPerSecond=1", "--Registry:RateLimitPerContextBurst=3"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task One_contexts_burst_does_not_limit_another_context()
    {
        var busy = new List<int>();
        for (var i = 0; i < 8; i++) busy.Add((await _server.GetAsync("/subjects/:.busy:s/versions")).Status);
        Assert.Contains(429, busy);
        Assert.NotEqual(429, (await _server.GetAsync("/subjects/:.quiet:s/versions")).Status);
        // Requests that name no subject are not counted against a context.
        Assert.Equal(200, (await _server.GetAsync("/subjects")).Status);
    }
}

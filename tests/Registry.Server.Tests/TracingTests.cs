using System.Text;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>OpenTelemetry tracing, switched on by config, exports spans over OTLP to a collector (a stub here).</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Spans_continue_the_callers_trace_and_reach_the_collector()
    {
        await using var collector = await StubHttpServer.StartAsync(_ => (200, null));
        await using var server = new RegistryServer
        {
            ExtraArgs =
            [
                "--Registry:Tracing:Enabled=true", "--Registry:Tracing:OtlpProtocol=http/protobuf",
                $"--Registry:Tracing:OtlpEndpoint={collector.Url}/v1/traces", "--Registry:Tracing:ExportDelayMs=100",
            ],
        };
        await server.InitializeAsync();

        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/subjects/traced/versions")
        {
            Content = new StringContent(Body(Schemas.V1), Encoding.UTF8, "application/vnd.schemaregistry.v1+json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{"0123456789abcdef"}-01");
        Assert.Equal(200, (int)(await server.Http.SendAsync(request)).StatusCode);

        var traceBytes = Convert.FromHexString(traceId);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        byte[] exported = [];
        while (DateTime.UtcNow < deadline)
        {
            exported = collector.Requests.Where(r => r.Path == "/v1/traces").SelectMany(r => r.Body).ToArray();
            if (exported.AsSpan().IndexOf(traceBytes) >= 0 && exported.AsSpan().IndexOf("registry.append"u8) >= 0) break;
            await Task.Delay(100);
        }
        Assert.Contains(collector.Requests, r => r.Path == "/v1/traces" && r.ContentType == "application/x-protobuf");
        Assert.True(exported.AsSpan().IndexOf(traceBytes) >= 0, "no exported span carries the caller's trace id");
        Assert.True(exported.AsSpan().IndexOf("registry.append"u8) >= 0, "the store append span was not exported");
    }
}

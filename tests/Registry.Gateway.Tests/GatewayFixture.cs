using System.Net.Http.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Gateway;
using Registry.Server.Hosting;
using Registry.Storage.Kafka;

namespace Registry.Gateway.Tests;

/// <summary>
/// Real parts end to end: librdkafka's mock cluster (3 brokers), the registry on a loopback port, and the
/// gateway in front of the cluster. Clients use Confluent.Kafka and the Confluent serializers.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "registry-gateway-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _registry;
    private WebApplication? _gateway;

    public MockKafkaCluster Kafka { get; } = new(brokers: 3);

    public string RegistryUrl { get; private set; } = "";

    public string GatewayBootstrap { get; private set; } = "";

    public string MetricsUrl { get; private set; } = "";

    public HttpClient Http { get; private set; } = new();

    public async Task InitializeAsync()
    {
        _registry = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", _data, "--Logging:LogLevel:Default=Warning"]);
        await _registry.StartAsync();
        RegistryUrl = Address(_registry);
        Http = new HttpClient { BaseAddress = new Uri(RegistryUrl) };
        _gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--upstream", Kafka.BootstrapServers.Split(',')[0], "--registry", RegistryUrl,
            "--Gateway:BootstrapPort=0", "--Gateway:ListenAddress=127.0.0.1", "--advertised-host", "127.0.0.1",
            "--Gateway:PolicyRefreshMs=100", "--Gateway:UsageReportMs=200", "--Gateway:FrameTimeoutMs=2000", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Registry.Gateway=Information",
        ]);
        await _gateway.StartAsync();
        MetricsUrl = Address(_gateway);
        GatewayBootstrap = "127.0.0.1:" + _gateway.Services.GetRequiredService<GatewayService>().BootstrapPort;
    }

    private static string Address(WebApplication app) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_registry is not null) await _registry.DisposeAsync();
        Kafka.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    /// <summary>Sets a topic's policy and waits until the gateway has picked it up.</summary>
    public async Task SetPolicyAsync(string topic, object policy)
    {
        using var response = await Http.PutAsJsonAsync($"/v1/policies/{topic}", policy);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Task.Delay(400); // four refresh intervals
    }

    public IProducer<byte[]?, byte[]?> Producer(CompressionType compression = CompressionType.None, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = GatewayBootstrap,
            CompressionType = compression,
            LingerMs = 5,
            MessageTimeoutMs = 20_000,
            EnableIdempotence = false,
            Acks = Acks.All,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<byte[]?, byte[]?>(config).Build();
    }

    public IConsumer<byte[]?, byte[]?> Consumer() => new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
    {
        BootstrapServers = GatewayBootstrap,
        GroupId = "gateway-tests-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
    }).Build();

    /// <summary>Every record of a topic, read through the gateway until <paramref name="expected"/> arrived or 15 s passed.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic, int expected)
    {
        using var consumer = Consumer();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is { IsPartitionEOF: false, Message: not null }) results.Add(result);
        }
        // A little longer, to catch records that should not be there.
        var extra = DateTime.UtcNow.AddSeconds(1);
        while (DateTime.UtcNow < extra)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is { IsPartitionEOF: false, Message: not null }) results.Add(result);
        }
        consumer.Close();
        return results;
    }
}

using System.Net.Http.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Core.Security;
using Registry.Gateway.Protocol;
using Registry.Gateway.Proxy;
using Xunit.Abstractions;

namespace Registry.Gateway.Tests;

/// <summary>
/// SASL terminated at the gateway (Gateway:Sasl:UsersFile): the real librdkafka client authenticates to the gateway with
/// SCRAM-SHA-256 or PLAIN against a registry users file, the gateway reaches the mock brokers without SASL, and refusals
/// name the principal. A wrong password, or a request before authentication, never reaches a broker.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class GatewaySaslTests(GatewayFixture fx, ITestOutputHelper output) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("registry-gateway-sasl-").FullName;
    private WebApplication? _gateway;
    private string _bootstrap = "";
    private HttpClient _http = new();

    public async Task InitializeAsync()
    {
        var users = Path.Combine(_dir, "users.txt");
        File.WriteAllLines(users, [$"alice: {PasswordHash.Create("alice-secret")}, writer", $"bob: {PasswordHash.Create("bob-secret")}, writer"]);
        _gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--upstream", fx.Kafka.BootstrapServers.Split(',')[0], "--registry", fx.RegistryUrl,
            "--Gateway:BootstrapPort=0", "--Gateway:ListenAddress=127.0.0.1", "--advertised-host", "127.0.0.1", "--Gateway:PolicyRefreshMs=100",
            $"--Gateway:Sasl:UsersFile={users}", "--Logging:LogLevel:Default=Warning",
        ]);
        await _gateway.StartAsync();
        _bootstrap = "127.0.0.1:" + _gateway.Services.GetRequiredService<GatewayService>().BootstrapPort;
        _http = new HttpClient { BaseAddress = new Uri(_gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private IProducer<byte[]?, byte[]?> Producer(SaslMechanism mechanism, string user, string password, List<Error>? errors = null) =>
        new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = _bootstrap,
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = mechanism,
            SaslUsername = user,
            SaslPassword = password,
            MessageTimeoutMs = 8_000,
            Acks = Acks.All,
        }).SetErrorHandler((_, e) => { lock (errors ?? []) errors?.Add(e); }).Build();

    private async Task<int> RegisterAsync(string topic)
    {
        using var response = await fx.Http.PostAsJsonAsync($"/subjects/{topic}-value/versions",
            new { schema = """{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"}]}""" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
    }

    private static byte[] Framed(int id, string text) => [0, .. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(id)), (byte)(text.Length * 2), .. System.Text.Encoding.UTF8.GetBytes(text)];

    [Theory]
    [InlineData("ScramSha256")]
    [InlineData("Plain")]
    public async Task A_client_authenticated_at_the_gateway_produces_and_its_refusals_name_the_principal(string mechanism)
    {
        var topic = "sasl-" + mechanism.ToLowerInvariant();
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync(topic);
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload" } });
        var user = mechanism == "Plain" ? "bob" : "alice";
        using (var producer = Producer(Enum.Parse<SaslMechanism>(mechanism), user, user + "-secret"))
        {
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = Framed(id, "p-1") });
            var refused = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(() => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = "not framed"u8.ToArray() }));
            Assert.Equal(ErrorCode.InvalidRecord, refused.Error.Code);
        }
        Assert.Equal(Convert.ToHexString(Framed(id, "p-1")), Convert.ToHexString(Assert.Single(fx.ReadAll(topic, 1)).Message.Value!));
        var refusals = await _http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/gateway/refusals?topic={topic}");
        output.WriteLine(refusals.ToString());
        Assert.Equal(user, Assert.Single(refusals.EnumerateArray()).GetProperty("clientId").GetString());
    }

    [Theory]
    [InlineData("ScramSha256", "alice")]
    [InlineData("Plain", "alice")]
    [InlineData("ScramSha256", "mallory")]
    public async Task A_wrong_password_or_an_unknown_user_is_refused_and_nothing_reaches_the_broker(string mechanism, string user)
    {
        var topic = $"sasl-refused-{mechanism.ToLowerInvariant()}-{user}";
        fx.Kafka.CreateTopic(topic, partitions: 1);
        var id = await RegisterAsync(topic);
        await fx.SetPolicyAsync(topic, new { value = new { check = "id" } });
        var errors = new List<Error>();
        using (var producer = Producer(Enum.Parse<SaslMechanism>(mechanism), user, "wrong-secret", errors))
        {
            var failed = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(() => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = Framed(id, "p-1") }));
            output.WriteLine($"{failed.Error.Code}: {failed.Error.Reason}");
        }
        lock (errors)
        {
            foreach (var e in errors) output.WriteLine($"error: {e.Code} {e.Reason}");
            Assert.Contains(errors, e => e.Code == ErrorCode.Local_Authentication);
        }
        // Nothing was written: the partition's end offset, asked of the broker itself, is still 0.
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = fx.Kafka.BootstrapServers, GroupId = "sasl-watermarks" }).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(10)).High.Value);
        Assert.Contains("registry_gateway_sasl_authentications{outcome=\"failed\"}", await _http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Before_authentication_only_ApiVersions_is_answered_and_it_offers_the_gateways_SASL_versions()
    {
        using var raw = new RawKafka(_bootstrap);
        var versions = raw.ApiVersions();
        Assert.Contains((Apis.SaslHandshake, (short)1, (short)1), versions);
        Assert.Contains((Apis.SaslAuthenticate, (short)0, (short)2), versions);
        // A Metadata request before SASL authentication closes the connection, unanswered.
        var metadata = RawKafka.Request(Apis.Metadata, 1, 7, "sasl-test", flexible: false);
        metadata.Int32(-1); // every topic
        await FrameIO.WriteAsync(raw.Stream, metadata.ToArray(), CancellationToken.None);
        using var answer = await FrameIO.ReadAsync(raw.Stream, 1 << 20, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Null(answer);
    }
}

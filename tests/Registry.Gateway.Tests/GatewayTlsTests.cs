using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Gateway.Protocol;
using Registry.Gateway.Proxy;
using Registry.Server.Hosting;
using Registry.Storage.Kafka;
using Registry.Testing;

namespace Registry.Gateway.Tests;

/// <summary>
/// The gateway between TLS clients and TLS-only brokers: each mock broker behind a TLS terminator of the tests' own
/// (and advertised there), clients with mTLS in front. Valid records land, invalid ones are refused, and every
/// certificate that should not verify fails its handshake.
/// </summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class GatewayTlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("registry-gateway-tls-").FullName;
    private readonly MockKafkaCluster _kafka = new(brokers: 3);
    private readonly List<TlsTerminator> _terminators = [];
    private readonly List<WebApplication> _apps = [];
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("Gateway Test CA");
    private string _registryUrl = "";
    private string _caFile = "";
    private (string Certificate, string Key) _gatewayPem;
    private (string Certificate, string Key) _clientPem;

    public async Task InitializeAsync()
    {
        _caFile = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(_caFile, _ca.ExportCertificatePem());
        _gatewayPem = TestCertificates.WritePem(TestCertificates.Issue(_ca, "gateway", serverAuth: true), _dir, "gateway");
        _clientPem = TestCertificates.WritePem(TestCertificates.Issue(_ca, "producer-app"), _dir, "client");
        // Each broker is reachable only through TLS: Metadata names its terminator.
        var broker = TestCertificates.Issue(_ca, "broker", serverAuth: true);
        var addresses = _kafka.BootstrapServers.Split(',');
        for (var id = 1; id <= addresses.Length; id++)
        {
            var (host, port) = GatewayServer.ParseHostPort(addresses[id - 1]);
            var terminator = new TlsTerminator(broker, host, port);
            _terminators.Add(terminator);
            _kafka.AdvertiseBroker(id, "127.0.0.1", terminator.Port);
        }
        var registry = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(_dir, "data"), "--Logging:LogLevel:Default=Warning"]);
        await registry.StartAsync();
        _apps.Add(registry);
        _registryUrl = Address(registry);
    }

    public async Task DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(_apps)) await app.DisposeAsync();
        foreach (var terminator in _terminators) await terminator.DisposeAsync();
        _kafka.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Address(WebApplication app) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>A gateway in front of <paramref name="upstreamPort"/> (default: broker 1's terminator), with these extra settings; returns its bootstrap.</summary>
    private async Task<string> StartGatewayAsync(int? upstreamPort = null, params string[] settings)
    {
        var gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--upstream", $"127.0.0.1:{upstreamPort ?? _terminators[0].Port}", "--registry", _registryUrl,
            "--Gateway:BootstrapPort=0", "--Gateway:ListenAddress=127.0.0.1", "--advertised-host", "127.0.0.1",
            "--Gateway:PolicyRefreshMs=100", "--Gateway:TlsHandshakeTimeoutMs=3000", "--Logging:LogLevel:Default=Warning", .. settings,
        ]);
        await gateway.StartAsync();
        _apps.Add(gateway);
        return "127.0.0.1:" + gateway.Services.GetRequiredService<GatewayService>().BootstrapPort;
    }

    private string[] ClientTls => [$"--Gateway:Tls:CertificateFile={_gatewayPem.Certificate}", $"--Gateway:Tls:KeyFile={_gatewayPem.Key}", $"--Gateway:Tls:ClientCaFile={_caFile}"];

    private string[] UpstreamTls => ["--Gateway:UpstreamTls:Enabled=true", $"--Gateway:UpstreamTls:CaFile={_caFile}"];

    private void Ssl(ClientConfig config)
    {
        config.SecurityProtocol = SecurityProtocol.Ssl;
        config.SslCaLocation = _caFile;
        config.SslCertificateLocation = _clientPem.Certificate;
        config.SslKeyLocation = _clientPem.Key;
    }

    /// <summary>
    /// Whether the gateway at <paramref name="bootstrap"/> answers an ApiVersions request (so it reached a broker), over
    /// TLS with <paramref name="certificate"/> when <paramref name="tls"/>; the certificate the gateway presented, if any.
    /// </summary>
    private static async Task<(bool Answered, X509Certificate? Presented)> ApiVersionsAsync(string bootstrap, bool tls, X509Certificate2? certificate = null)
    {
        var (host, port) = GatewayServer.ParseHostPort(bootstrap);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port);
        Stream stream = tcp.GetStream();
        X509Certificate? presented = null;
        try
        {
            if (tls)
            {
                var ssl = new SslStream(stream, false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "127.0.0.1",
                    ClientCertificates = certificate is null ? null : [certificate],
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                });
                presented = ssl.RemoteCertificate;
                stream = ssl;
            }
            await FrameIO.WriteAsync(stream, RawKafka.Request(Apis.ApiVersions, 0, 1, "tls-test", flexible: false).ToArray(), CancellationToken.None);
            using var answer = await FrameIO.ReadAsync(stream, 1 << 20, TimeSpan.FromSeconds(10), CancellationToken.None);
            return (answer is not null, presented);
        }
        catch (Exception e) when (FrameIO.IsDisconnect(e) || e is System.Security.Authentication.AuthenticationException)
        {
            return (false, presented);
        }
    }

    [Fact]
    public async Task Producers_with_mTLS_reach_TLS_only_brokers_through_the_gateway_and_invalid_records_are_refused()
    {
        const string topic = "tls-orders";
        _kafka.CreateTopic(topic, partitions: 3);
        var bootstrap = await StartGatewayAsync(null, [.. ClientTls, .. UpstreamTls]);
        using (var http = new HttpClient { BaseAddress = new Uri(_registryUrl) })
            Assert.True((await http.PutAsJsonAsync($"/v1/policies/{topic}", new { value = new { check = "payload" } })).IsSuccessStatusCode);
        await Task.Delay(400);

        var schema = (RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}""");
        var order = new GenericRecord(schema);
        order.Add("id", "o-1");
        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registryUrl });
        var valid = await new AvroSerializer<GenericRecord>(registry).SerializeAsync(order, new SerializationContext(MessageComponentType.Value, topic));

        var producerConfig = new ProducerConfig { BootstrapServers = bootstrap, MessageTimeoutMs = 20_000, Acks = Acks.All, EnableIdempotence = false };
        Ssl(producerConfig);
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(producerConfig).Build())
        {
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = valid });
            var refused = await Assert.ThrowsAsync<ProduceException<byte[]?, byte[]?>>(() => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?> { Value = "plain text"u8.ToArray() }));
            Assert.Equal(ErrorCode.InvalidRecord, refused.Error.Code);
        }

        var consumerConfig = new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "tls-" + Guid.NewGuid().ToString("N"), AutoOffsetReset = AutoOffsetReset.Earliest };
        Ssl(consumerConfig);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(consumerConfig).Build();
        consumer.Subscribe(topic);
        var read = new List<byte[]?>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (read.Count < 1 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false, Message: { } m }) read.Add(m.Value);
        Assert.Equal(valid, Assert.Single(read));
        // Every broker connection went through a terminator's TLS.
        Assert.True(_terminators.Sum(t => t.Handshakes) >= 2, "the gateway did not reach the brokers over TLS");
    }

    [Fact]
    public async Task Client_certificates_must_chain_to_the_client_CA_and_a_plain_client_is_not_served()
    {
        var bootstrap = await StartGatewayAsync(null, [.. ClientTls, .. UpstreamTls]);
        var trusted = TestCertificates.Issue(_ca, "trusted-app");
        var stranger = TestCertificates.Issue(TestCertificates.CreateCa("Another CA"), "stranger-app");
        Assert.True((await ApiVersionsAsync(bootstrap, tls: true, trusted)).Answered, "a client with a trusted certificate was not served");
        Assert.False((await ApiVersionsAsync(bootstrap, tls: true, stranger)).Answered, "a client certificate of another CA was accepted");
        Assert.False((await ApiVersionsAsync(bootstrap, tls: true)).Answered, "a client without a certificate was accepted under mTLS");
        Assert.False((await ApiVersionsAsync(bootstrap, tls: false)).Answered, "a plain-text client was served on a TLS listener");
    }

    [Fact]
    public async Task A_broker_whose_certificate_names_another_host_or_another_CA_is_refused()
    {
        var (host, port) = GatewayServer.ParseHostPort(_kafka.BootstrapServers.Split(',')[0]);
        await using var misnamed = new TlsTerminator(TestCertificates.Issue(_ca, "broker", serverAuth: true, hostNames: ["wrong.example"]), host, port);
        await using var foreign = new TlsTerminator(TestCertificates.Issue(TestCertificates.CreateCa("Rogue CA"), "broker", serverAuth: true), host, port);
        Assert.False((await ApiVersionsAsync(await StartGatewayAsync(misnamed.Port, UpstreamTls), tls: false)).Answered, "a misnamed broker certificate was accepted");
        Assert.False((await ApiVersionsAsync(await StartGatewayAsync(foreign.Port, UpstreamTls), tls: false)).Answered, "a broker certificate of another CA was accepted");
        // The host name is what refused the first: with the check off (not the default) the same broker is reached.
        Assert.True((await ApiVersionsAsync(await StartGatewayAsync(misnamed.Port, [.. UpstreamTls, "--Gateway:UpstreamTls:VerifyHostname=false"]), tls: false)).Answered);
        // And a plain upstream connection to a TLS-only broker gets nothing.
        Assert.False((await ApiVersionsAsync(await StartGatewayAsync(misnamed.Port), tls: false)).Answered);
    }

    [Fact]
    public async Task A_renewed_certificate_written_over_the_files_is_served_to_new_connections_without_a_restart()
    {
        var bootstrap = await StartGatewayAsync(null, [.. ClientTls, .. UpstreamTls]);
        var client = TestCertificates.Issue(_ca, "renewing-app");
        var (answered, before) = await ApiVersionsAsync(bootstrap, tls: true, client);
        Assert.True(answered);
        var renewed = TestCertificates.Issue(_ca, "gateway-renewed", serverAuth: true);
        TestCertificates.WritePem(renewed, _dir, "gateway");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        X509Certificate? after;
        do
        {
            await Task.Delay(200);
            (answered, after) = await ApiVersionsAsync(bootstrap, tls: true, client);
        }
        while (after?.GetCertHashString() != renewed.GetCertHashString() && DateTime.UtcNow < deadline);
        Assert.True(answered);
        Assert.NotEqual(before!.GetCertHashString(), renewed.GetCertHashString());
        Assert.Equal(renewed.GetCertHashString(), after!.GetCertHashString());
    }
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Registry.Core.Security;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>
/// mTLS: HTTPS with client certificates that must chain to the configured client CA; the certificate's common
/// name is the principal, granted roles in the users file. Certificates are generated here.
/// </summary>
public sealed class MtlsTests : IAsyncLifetime
{
    private static readonly string Dir = Directory.CreateTempSubdirectory("registry-mtls-").FullName;
    private static readonly X509Certificate2 Ca = TestCertificates.CreateCa("Registry Test CA");
    private static readonly X509Certificate2 ForeignCa = TestCertificates.CreateCa("Someone Else's CA");
    private readonly RegistryServer _server = new() { ExtraArgs = ServerArgs() };

    private static string[] ServerArgs()
    {
        var server = TestCertificates.Issue(Ca, "localhost", serverAuth: true);
        File.WriteAllText(Path.Combine(Dir, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(Dir, "server.key"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(Dir, "ca.pem"), Ca.ExportCertificatePem());
        File.WriteAllLines(Path.Combine(Dir, "users.txt"),
        [
            "ci-pipeline: cert, writer:orders-",
            $"alice: {PasswordHash.Create("alice-pw")}, reader",
        ]);
        return
        [
            "--urls", "https://127.0.0.1:0",
            "--Registry:AuthMode=basic,mtls",
            $"--Registry:UsersFile={Path.Combine(Dir, "users.txt")}",
            $"--Registry:Tls:CertificateFile={Path.Combine(Dir, "server.pem")}",
            $"--Registry:Tls:KeyFile={Path.Combine(Dir, "server.key")}",
            $"--Registry:Tls:ClientCaFile={Path.Combine(Dir, "ca.pem")}",
        ];
    }

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private HttpClient Client(X509Certificate2? certificate)
    {
        var handler = new HttpClientHandler
        {
            // Trust exactly the test CA for the server's certificate.
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        if (certificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(certificate);
        }
        var client = new HttpClient(handler) { BaseAddress = new Uri(_server.Url) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.schemaregistry.v1+json"));
        return client;
    }

    private static async Task<int> Register(HttpClient client, string subject)
    {
        using var response = await client.PostAsync($"/subjects/{subject}/versions", new StringContent(Body(Schemas.V1), Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task A_certificate_from_the_client_CA_authenticates_its_common_name_with_that_users_grants()
    {
        using var client = Client(TestCertificates.Issue(Ca, "ci-pipeline"));
        Assert.Equal(200, await Register(client, "orders-mtls"));
        using var denied = await client.PostAsync("/subjects/payments-mtls/versions", new StringContent(Body(Schemas.V1), Encoding.UTF8, "application/json"));
        Assert.Equal(403, (int)denied.StatusCode);
        Assert.Contains("40301", await denied.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Certificates_from_another_CA_or_expired_ones_fail_the_handshake()
    {
        using var foreign = Client(TestCertificates.Issue(ForeignCa, "ci-pipeline"));
        await Assert.ThrowsAsync<HttpRequestException>(() => foreign.GetAsync("/subjects"));
        using var expired = Client(TestCertificates.Issue(Ca, "ci-pipeline", expired: true));
        await Assert.ThrowsAsync<HttpRequestException>(() => expired.GetAsync("/subjects"));
        // The server keeps serving good clients.
        using var good = Client(TestCertificates.Issue(Ca, "ci-pipeline"));
        Assert.Equal(200, (int)(await good.GetAsync("/subjects")).StatusCode);
    }

    [Fact]
    public async Task Without_a_known_certificate_callers_need_credentials_and_a_certificate_user_has_no_password()
    {
        using var anonymous = Client(null);
        Assert.Equal(401, (int)(await anonymous.GetAsync("/subjects")).StatusCode);
        using var stranger = Client(TestCertificates.Issue(Ca, "mallory"));
        Assert.Equal(401, (int)(await stranger.GetAsync("/subjects")).StatusCode);

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:alice-pw")));
        Assert.Equal(200, (int)(await anonymous.GetAsync("/subjects")).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ci-pipeline:cert")));
        Assert.Equal(401, (int)(await anonymous.GetAsync("/subjects")).StatusCode);
    }
}

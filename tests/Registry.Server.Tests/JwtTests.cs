using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Bearer JWTs: signature against the issuer's JWKS, issuer, audience, lifetime; role claims become grants.</summary>
public sealed class JwtTests : IAsyncLifetime
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "registry";
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly RsaSecurityKey Key = new(Rsa) { KeyId = "k1" };
    private static readonly string JwksPath = WriteJwks();
    private readonly RegistryServer _server = new()
    {
        ExtraArgs = ["--Registry:AuthMode=jwt", $"--Registry:Jwt:Issuer={Issuer}", $"--Registry:Jwt:Audience={Audience}", $"--Registry:Jwt:JwksFile={JwksPath}", "--Registry:Jwt:ClockSkewSeconds=5"],
    };

    private static string WriteJwks()
    {
        var p = Rsa.ExportParameters(false);
        var json = $$"""{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
        var path = Path.Combine(Path.GetTempPath(), "registry-jwks-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Token(string[] roles, string issuer = Issuer, string audience = Audience, TimeSpan? lifetime = null, SecurityKey? key = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires < now ? expires.AddMinutes(-1) : now,
            NotBefore = expires < now ? expires.AddMinutes(-1) : now,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = "ci-pipeline", ["roles"] = roles },
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.RsaSha256),
        });
    }

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private async Task<int> PostAs(string token, string subject)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/subjects/{subject}/versions") { Content = new StringContent(Body(Schemas.V1), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _server.Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task A_valid_token_grants_its_roles_and_nothing_more()
    {
        Assert.Equal(200, await PostAs(Token(["writer:orders-"]), "orders-jwt"));
        Assert.Equal(403, await PostAs(Token(["writer:orders-"]), "payments-jwt"));
        Assert.Equal(403, await PostAs(Token(["reader"]), "orders-jwt2"));
    }

    [Fact]
    public async Task The_audit_records_a_token_principal_with_its_method_and_issuer()
    {
        Assert.Equal(200, await PostAs(Token(["writer:orders-"]), "orders-jwt-audit"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/audit");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(["auditor"]));
        using var response = await _server.Http.SendAsync(request);
        var trail = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        var entry = Assert.Single(trail, e => e.GetProperty("subject").GetString() == "orders-jwt-audit");
        Assert.Equal("ci-pipeline", entry.GetProperty("principal").GetString());
        Assert.Equal("jwt", entry.GetProperty("method").GetString());
        Assert.Equal(Issuer, entry.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task Expired_foreign_and_forged_tokens_are_401()
    {
        Assert.Equal(401, await PostAs(Token(["admin"], lifetime: TimeSpan.FromMinutes(-10)), "orders-x"));
        Assert.Equal(401, await PostAs(Token(["admin"], issuer: "https://evil.test"), "orders-x"));
        Assert.Equal(401, await PostAs(Token(["admin"], audience: "someone-else"), "orders-x"));
        Assert.Equal(401, await PostAs(Token(["admin"], key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k1" }), "orders-x"));
        Assert.Equal(401, await PostAs("not-a-jwt", "orders-x"));
    }
}

/// <summary>Signing keys fetched from the issuer's OIDC discovery document, refreshed when the issuer rotates them.</summary>
public sealed class OidcDiscoveryTests
{
    [Fact]
    public async Task Keys_come_from_the_issuers_discovery_document_and_a_rotation_is_picked_up()
    {
        var current = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "first" };
        StubHttpServer? issuer = null;
        await using var stub = issuer = await StubHttpServer.StartAsync(request => request.Path.Value switch
        {
            "/.well-known/openid-configuration" => (200, $$"""{"issuer":"{{issuer!.Url}}","jwks_uri":"{{issuer.Url}}/jwks"}"""),
            "/jwks" => (200, Jwks(current)),
            _ => (404, null),
        });
        await using var server = new RegistryServer
        {
            ExtraArgs = ["--Registry:AuthMode=jwt", $"--Registry:Jwt:Issuer={issuer.Url}", "--Registry:Jwt:Audience=registry", "--Registry:Jwt:RequireHttpsMetadata=false"],
        };
        await server.InitializeAsync();

        Assert.Equal(200, await Status(server, Token(issuer.Url, current)));
        Assert.Equal(401, await Status(server, Token(issuer.Url, new RsaSecurityKey(RSA.Create(2048)) { KeyId = "first" })));
        // The issuer rotates to a new key: a token signed with it names an unknown kid, which makes the registry re-fetch.
        current = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "second" };
        Assert.Equal(200, await Status(server, Token(issuer.Url, current)));
        Assert.Contains(issuer.Requests, r => r.Path == "/jwks");
    }

    private static string Jwks(RsaSecurityKey key)
    {
        var p = key.Rsa.ExportParameters(false);
        return $$"""{"keys":[{"kty":"RSA","kid":"{{key.KeyId}}","use":"sig","alg":"RS256","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
    }

    private static string Token(string issuer, SecurityKey key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = "registry",
        Expires = DateTime.UtcNow.AddMinutes(5),
        Claims = new Dictionary<string, object> { ["sub"] = "svc", ["roles"] = new[] { "reader" } },
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });

    private static async Task<int> Status(RegistryServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/subjects");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return (int)response.StatusCode;
    }
}

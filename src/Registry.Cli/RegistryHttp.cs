using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Cli;

/// <summary>The Confluent REST API as the CLI uses it: works against our registry and Confluent's.</summary>
public sealed class RegistryHttp : IDisposable
{
    private readonly HttpClient _http;

    public RegistryHttp(string url, string? user, string? token, TimeSpan timeout, ClientTls? tls = null)
    {
        _http = new HttpClient(Handler(tls ?? new ClientTls(null, null, null))) { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = timeout };
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.schemaregistry.v1+json");
        if (!string.IsNullOrEmpty(user))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
        else if (!string.IsNullOrEmpty(token))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>A client certificate to present (mTLS) and a CA bundle that replaces the system's trust for the registry.</summary>
    private static HttpClientHandler Handler(ClientTls tls)
    {
        var handler = new HttpClientHandler();
        if (tls.Cert is { Length: > 0 } cert)
        {
            X509Certificate2 certificate;
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(cert, tls.Key is { Length: > 0 } key ? key : null);
                // A round trip through PKCS#12 gives SslStream a key it can use on every platform.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.UsageOrInput, $"Cannot read the client certificate {cert} (with --key {tls.Key ?? "none"}): {e.Message}");
            }
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(certificate);
        }
        if (tls.Ca is { Length: > 0 } ca)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(ca);
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.UsageOrInput, $"Cannot read the CA bundle {ca}: {e.Message}");
            }
            // The registry's certificate must chain to these roots, and name the host (hostname checks stay on).
            handler.ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        }
        return handler;
    }

    /// <summary>Sends a request; returns status and body (JSON null when empty). Unreachable → exit 3.</summary>
    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = JsonValue.Create(text);
            }
            // A refusal of who the caller is (401, or 403 40301) ends the command; other refusals (a review policy's 40380) are the caller's to handle.
            if ((int)response.StatusCode is 401 || ((int)response.StatusCode is 403 && ErrorCode(json) is null or 40301))
                throw new CliException(ExitCodes.UsageOrInput, $"The registry refused the credentials ({(int)response.StatusCode}): {Message(json)}");
            return ((int)response.StatusCode, json);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"Cannot reach the registry at {_http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"The registry at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Like <see cref="SendAsync"/>, but any non-2xx is an error with the registry's message.</summary>
    public async Task<JsonNode?> CallAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var (status, json) = await SendAsync(method, path, body, cancellationToken);
        if (status is >= 200 and < 300) return json;
        var code = status >= 500 ? ExitCodes.Unreachable : ExitCodes.UsageOrInput;
        throw new CliException(code, $"{method} /{path.TrimStart('/')} failed with {status}: {Message(json)}");
    }

    private static int? ErrorCode(JsonNode? json) => json is JsonObject o && o["error_code"] is JsonValue v && v.TryGetValue<int>(out var code) ? code : null;

    public static string Subject(string subject) => Uri.EscapeDataString(subject);

    public static string Message(JsonNode? json) =>
        json is JsonObject o && o["message"] is { } m ? $"{m} (error_code {o["error_code"]})" : json?.ToJsonString() ?? "(no body)";

    public void Dispose() => _http.Dispose();
}

/// <summary>TLS settings of the CLI's connection: PEM files of a client certificate and key, and a CA bundle.</summary>
public sealed record ClientTls(string? Cert, string? Key, string? Ca);

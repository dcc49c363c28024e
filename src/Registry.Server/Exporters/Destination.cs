using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Exporting;
using Registry.Core.Model;

namespace Registry.Server.Exporters;

/// <summary>The destination refused a change or could not be reached; the exporter retries it.</summary>
public sealed class ExportFailure(string message) : Exception(message);

/// <summary>
/// The destination registry of an exporter, reached through its Confluent REST API with the exporter's credentials
/// (basic, a static bearer token, or a client certificate). Every change is applied so that applying it again
/// changes no answer: what the destination already holds counts as done.
/// </summary>
public sealed class Destination : IDisposable
{
    private const string MediaType = "application/vnd.schemaregistry.v1+json";
    private readonly HttpClient _http;
    private readonly HashSet<string> _importing = new(StringComparer.Ordinal);

    public Destination(string exporter, IReadOnlyDictionary<string, string> config, TimeSpan timeout)
    {
        var url = config[ExportRoute.UrlKey].Split(',')[0].Trim().TrimEnd('/') + "/";
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (config.GetValueOrDefault("ssl.ca.location") is { Length: > 0 } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                if ((errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }
        if (config.GetValueOrDefault("ssl.keystore.location") is { Length: > 0 } keystore)
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12FromFile(keystore, config.GetValueOrDefault("ssl.keystore.password"))];
        else if (config.GetValueOrDefault("ssl.certificate.location") is { Length: > 0 } certificateFile)
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificateFile, config.GetValueOrDefault("ssl.key.location"))];
        _http = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = timeout };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaType));
        _http.DefaultRequestHeaders.Add("Confluent-Schema-Exporter-Name", exporter);
        _http.DefaultRequestHeaders.Authorization = Authorization(config);
    }

    private static AuthenticationHeaderValue? Authorization(IReadOnlyDictionary<string, string> config)
    {
        var bearer = config.GetValueOrDefault("bearer.auth.credentials.source");
        if (bearer is { Length: > 0 })
        {
            return bearer.Equals("STATIC_TOKEN", StringComparison.OrdinalIgnoreCase) && config.GetValueOrDefault("bearer.auth.token") is { Length: > 0 } token
                ? new AuthenticationHeaderValue("Bearer", token)
                : throw new ExportFailure($"bearer.auth.credentials.source {bearer} is not supported: use STATIC_TOKEN with bearer.auth.token");
        }
        var source = config.GetValueOrDefault("basic.auth.credentials.source", "USER_INFO");
        if (config.GetValueOrDefault("basic.auth.user.info") is { Length: > 0 } userInfo)
        {
            return source.Equals("USER_INFO", StringComparison.OrdinalIgnoreCase)
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)))
                : throw new ExportFailure($"basic.auth.credentials.source {source} is not supported: use USER_INFO");
        }
        return null;
    }

    /// <summary>Applies one change; throws <see cref="ExportFailure"/> when the destination refuses it or cannot be reached.</summary>
    public Task ApplyAsync(ExportOperation operation, CancellationToken cancellationToken) => operation switch
    {
        ExportRegister r => RegisterAsync(r, cancellationToken),
        ExportDeleteVersion d => DeleteVersionAsync(d, cancellationToken),
        ExportDeleteSubject d => DeleteSubjectAsync(d, cancellationToken),
        ExportConfig c => ConfigAsync(c, cancellationToken),
        ExportKek k => KekAsync(k.Kek, cancellationToken),
        ExportKekRemoved k => RemoveAsync($"dek-registry/v1/keks/{Path(k.Name)}", $"KEK {k.Name}", cancellationToken),
        ExportDek d => DekAsync(d.Dek, cancellationToken),
        ExportDekRemoved d => RemoveAsync($"dek-registry/v1/keks/{Path(d.KekName)}/deks/{Path(d.Subject)}/versions/{d.Version}?algorithm={d.Algorithm}",
            $"DEK {d.KekName}/{d.Subject} version {d.Version}", cancellationToken),
        _ => throw new ArgumentException($"Unknown operation {operation.GetType().Name}", nameof(operation)),
    };

    private async Task RegisterAsync(ExportRegister r, CancellationToken cancellationToken)
    {
        await ImportModeAsync(r.Subject, cancellationToken);
        var body = new JsonObject
        {
            ["schema"] = r.Schema,
            ["schemaType"] = r.SchemaType,
            ["id"] = r.Id,
            ["version"] = r.Version,
            ["ts"] = r.Timestamp,
        };
        if (!r.References.IsDefaultOrEmpty) body["references"] = JsonSerializer.SerializeToNode(r.References, CanonicalJson.Options);
        if (r.Metadata is not null) body["metadata"] = JsonSerializer.SerializeToNode(r.Metadata, CanonicalJson.Options);
        if (r.RuleSet is not null) body["ruleSet"] = JsonSerializer.SerializeToNode(r.RuleSet, CanonicalJson.Options);
        var (status, answer) = await SendAsync(HttpMethod.Post, $"subjects/{Path(r.Subject)}/versions?normalize=false", body, cancellationToken);
        if (status == HttpStatusCode.OK)
        {
            var id = JsonNode.Parse(answer)?["id"]?.GetValue<int>();
            if (id == r.Id) return;
            throw new ExportFailure($"{r.Subject} version {r.Version}: the destination gave id {id}, not {r.Id}");
        }
        // Already there (soft-deleted since, or registered by an earlier attempt whose answer was lost): done.
        if (await HoldsAsync(r, cancellationToken)) return;
        throw Failure($"registering {r.Subject} version {r.Version} (id {r.Id})", status, answer);
    }

    private async Task<bool> HoldsAsync(ExportRegister r, CancellationToken cancellationToken)
    {
        var (status, answer) = await SendAsync(HttpMethod.Get, $"subjects/{Path(r.Subject)}/versions/{r.Version}?deleted=true", null, cancellationToken);
        return status == HttpStatusCode.OK && JsonNode.Parse(answer)?["id"]?.GetValue<int>() == r.Id;
    }

    private async Task DeleteVersionAsync(ExportDeleteVersion d, CancellationToken cancellationToken)
    {
        var path = $"subjects/{Path(d.Subject)}/versions/{d.Version}";
        var (status, answer) = await SendAsync(HttpMethod.Delete, path + (d.Permanent ? "?permanent=true" : ""), null, cancellationToken);
        var code = ErrorCode(answer);
        if (status == HttpStatusCode.OK) return;
        if (d.Permanent && code == Core.Errors.VersionNotSoftDeleted)
        {
            // A version soft-deleted and then permanently deleted before the copy of the first step: both steps.
            await DeleteVersionAsync(d with { Permanent = false }, cancellationToken);
            await DeleteVersionAsync(d, cancellationToken);
            return;
        }
        if (!d.Permanent && code == Core.Errors.VersionSoftDeleted) return;
        if (code is Core.Errors.SubjectNotFound or Core.Errors.VersionNotFound)
        {
            if (d.IfMissing is null) return;
            await RegisterAsync(d.IfMissing, cancellationToken);
            await DeleteVersionAsync(d with { IfMissing = null }, cancellationToken);
            return;
        }
        throw Failure($"deleting {d.Subject} version {d.Version}{(d.Permanent ? " permanently" : "")}", status, answer);
    }

    private async Task DeleteSubjectAsync(ExportDeleteSubject d, CancellationToken cancellationToken)
    {
        var (status, answer) = await SendAsync(HttpMethod.Delete, $"subjects/{Path(d.Subject)}", null, cancellationToken);
        if (status == HttpStatusCode.OK || ErrorCode(answer) is Core.Errors.SubjectNotFound or Core.Errors.SubjectSoftDeleted) return;
        throw Failure($"deleting subject {d.Subject}", status, answer);
    }

    private async Task ConfigAsync(ExportConfig c, CancellationToken cancellationToken)
    {
        var path = c.Subject.Length == 0 ? "config" : $"config/{Path(c.Subject)}";
        if (c.Config is null)
        {
            var (cleared, clearAnswer) = await SendAsync(HttpMethod.Delete, path, null, cancellationToken);
            if (cleared == HttpStatusCode.OK || ErrorCode(clearAnswer) is Core.Errors.SubjectNotFound or Core.Errors.SubjectCompatibilityNotConfigured) return;
            throw Failure($"clearing the config of {c.Subject}", cleared, clearAnswer);
        }
        var body = JsonSerializer.SerializeToNode(c.Config, CanonicalJson.Options)!.AsObject();
        // PUT /config names the level "compatibility" (GET says "compatibilityLevel").
        if (body.Remove("compatibilityLevel", out var level)) body["compatibility"] = level;
        var (status, answer) = await SendAsync(HttpMethod.Put, path, body, cancellationToken);
        if (status != HttpStatusCode.OK) throw Failure($"setting the config of {c.Subject}", status, answer);
    }

    /// <summary>Whether the destination serves the DEK registry (asked once); keys are copied only where it does.</summary>
    private async Task<bool> ServesKeysAsync(CancellationToken cancellationToken)
    {
        if (_servesKeys is { } known) return known;
        var (status, answer) = await SendAsync(HttpMethod.Get, "dek-registry/v1/keks", null, cancellationToken);
        if (status is not (HttpStatusCode.OK or HttpStatusCode.NotFound)) throw Failure("asking for the DEK registry", status, answer);
        _servesKeys = status == HttpStatusCode.OK;
        return _servesKeys.Value;
    }

    private bool? _servesKeys;

    private async Task KekAsync(Kek kek, CancellationToken cancellationToken)
    {
        if (!await ServesKeysAsync(cancellationToken)) return;
        var path = $"dek-registry/v1/keks/{Path(kek.Name)}";
        var (status, answer) = await SendAsync(HttpMethod.Get, path + "?deleted=true", null, cancellationToken);
        if (status == HttpStatusCode.NotFound)
        {
            var create = new JsonObject
            {
                ["name"] = kek.Name,
                ["kmsType"] = kek.KmsType,
                ["kmsKeyId"] = kek.KmsKeyId,
                ["doc"] = kek.Doc,
                ["shared"] = kek.Shared,
                ["deleted"] = kek.Deleted,
                ["kmsProps"] = JsonSerializer.SerializeToNode(kek.KmsProps, CanonicalJson.Options),
            };
            (status, answer) = await SendAsync(HttpMethod.Post, "dek-registry/v1/keks", create, cancellationToken);
            if (status != HttpStatusCode.OK) throw Failure($"creating KEK {kek.Name}", status, answer);
            return;
        }
        if (status != HttpStatusCode.OK) throw Failure($"reading KEK {kek.Name}", status, answer);
        var held = JsonNode.Parse(answer)!;
        var deleted = held["deleted"]?.GetValue<bool>() == true;
        if (deleted && !kek.Deleted) await StepAsync(HttpMethod.Post, path + "/undelete", $"undeleting KEK {kek.Name}", cancellationToken);
        if (!kek.Deleted)
        {
            var update = new JsonObject { ["kmsProps"] = JsonSerializer.SerializeToNode(kek.KmsProps, CanonicalJson.Options), ["doc"] = kek.Doc, ["shared"] = kek.Shared };
            (status, answer) = await SendAsync(HttpMethod.Put, path, update, cancellationToken);
            if (status != HttpStatusCode.OK) throw Failure($"updating KEK {kek.Name}", status, answer);
        }
        if (!deleted && kek.Deleted) await StepAsync(HttpMethod.Delete, path, $"deleting KEK {kek.Name}", cancellationToken);
    }

    private async Task DekAsync(Dek dek, CancellationToken cancellationToken)
    {
        if (!await ServesKeysAsync(cancellationToken)) return;
        var path = $"dek-registry/v1/keks/{Path(dek.KekName)}/deks/{Path(dek.Subject)}";
        var version = $"{path}/versions/{dek.Version}";
        var query = $"?algorithm={dek.Algorithm}";
        var (status, answer) = await SendAsync(HttpMethod.Get, version + query + "&deleted=true", null, cancellationToken);
        if (status == HttpStatusCode.NotFound)
        {
            var create = new JsonObject
            {
                ["subject"] = dek.Subject,
                ["version"] = dek.Version,
                ["algorithm"] = dek.Algorithm.ToString(),
                ["encryptedKeyMaterial"] = dek.EncryptedKeyMaterial,
                ["deleted"] = dek.Deleted,
            };
            (status, answer) = await SendAsync(HttpMethod.Post, path, create, cancellationToken);
            if (status != HttpStatusCode.OK) throw Failure($"creating DEK {dek.KekName}/{dek.Subject} version {dek.Version}", status, answer);
            return;
        }
        if (status != HttpStatusCode.OK) throw Failure($"reading DEK {dek.KekName}/{dek.Subject} version {dek.Version}", status, answer);
        var deleted = JsonNode.Parse(answer)?["deleted"]?.GetValue<bool>() == true;
        if (deleted && !dek.Deleted) await StepAsync(HttpMethod.Post, version + "/undelete" + query, $"undeleting DEK {dek.Subject}", cancellationToken);
        if (!deleted && dek.Deleted) await StepAsync(HttpMethod.Delete, version + query, $"deleting DEK {dek.Subject}", cancellationToken);
    }

    /// <summary>A permanent delete of a key: soft first where the destination wants it, and gone already counts as done.</summary>
    private async Task RemoveAsync(string path, string what, CancellationToken cancellationToken)
    {
        if (!await ServesKeysAsync(cancellationToken)) return;
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var (status, answer) = await SendAsync(HttpMethod.Delete, path + separator + "permanent=true", null, cancellationToken);
        if (status == HttpStatusCode.OK || status == HttpStatusCode.NoContent || status == HttpStatusCode.NotFound) return;
        if (ErrorCode(answer) == Core.Errors.KeyNotSoftDeleted)
        {
            await StepAsync(HttpMethod.Delete, path, $"deleting {what}", cancellationToken);
            await RemoveAsync(path, what, cancellationToken);
            return;
        }
        throw Failure($"deleting {what} permanently", status, answer);
    }

    private async Task StepAsync(HttpMethod method, string path, string what, CancellationToken cancellationToken)
    {
        var (status, answer) = await SendAsync(method, path, null, cancellationToken);
        if (status is not (HttpStatusCode.OK or HttpStatusCode.NoContent)) throw Failure(what, status, answer);
    }

    /// <summary>
    /// Puts the context where the copy lands in IMPORT mode, once per run (for NONE into the default context, that is
    /// the destination's top-level mode): the destination is a mirror, and promoting it is one mode change (docs/dr.md).
    /// </summary>
    private async Task ImportModeAsync(string subject, CancellationToken cancellationToken)
    {
        var scope = QualifiedSubject.Parse(subject).ContextScope;
        if (_importing.Contains(scope)) return;
        var path = scope.Length == 0 ? "mode?force=true" : $"mode/{Path(scope)}?force=true";
        var (status, answer) = await SendAsync(HttpMethod.Put, path, new JsonObject { ["mode"] = "IMPORT" }, cancellationToken);
        if (status != HttpStatusCode.OK) throw Failure($"setting IMPORT mode on {(scope.Length == 0 ? "the destination" : scope)}", status, answer);
        _importing.Add(scope);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, MediaType);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException e)
        {
            throw new ExportFailure($"{method} {_http.BaseAddress}{path}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExportFailure($"{method} {_http.BaseAddress}{path}: no answer within {_http.Timeout.TotalMilliseconds:0} ms");
        }
    }

    private static string Path(string subject) => Uri.EscapeDataString(subject);

    private static int? ErrorCode(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error_code"]?.GetValue<int>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static ExportFailure Failure(string what, HttpStatusCode status, string body) =>
        new($"{what}: the destination answered {(int)status} {Core.Errors.Printable(body, 500)}");

    public void Dispose() => _http.Dispose();
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Server.Encryption;
using Registry.Server.Hosting;
using Registry.Server.Http;
using Registry.Server.Security;

namespace Registry.Server.Apis;

/// <summary>
/// /dek-registry/v1: Confluent's DEK registry (../shared/reference/confluent-dek-registry.md), the store of the KEKs and
/// DEKs that client-side field-level encryption uses. For a shared KEK the registry makes, wraps and unwraps DEKs itself
/// with its KMS drivers; otherwise it only stores what clients wrapped. Key material is never logged.
/// </summary>
public static class DekRegistryApi
{
    public static IEndpointRouteBuilder MapDekRegistryApi(this IEndpointRouteBuilder app)
    {
        var keks = app.MapGroup("/dek-registry/v1/keks");
        keks.MapGet("", ListKeks);
        keks.MapPost("", CreateKek);
        keks.MapGet("/{name}", (RegistryService registry, string name, bool? deleted) =>
            RegistryJson.Ok(KekResponse.From(RegistryDecider.GetKek(registry.State, name, deleted == true))));
        keks.MapPut("/{name}", UpdateKek);
        keks.MapDelete("/{name}", (HttpContext context, RegistryService registry, string name, bool? permanent) =>
            Execute(context, registry, state => registry.Decider.DeleteKek(state, name, permanent == true)));
        keks.MapPost("/{name}/undelete", (HttpContext context, RegistryService registry, string name) =>
            Execute(context, registry, state => registry.Decider.UndeleteKek(state, name)));
        keks.MapPost("/{name}/test", (RegistryService registry, KmsDrivers kms, string name) =>
        {
            var kek = RegistryDecider.GetKek(registry.State, name, includeDeleted: false);
            if (!kek.Shared) throw Errors.InvalidKeyError("shared");
            WrapTestKey(kms, kek);
            return RegistryJson.Ok(KekResponse.From(kek));
        });
        keks.MapGet("/{name}/deks", (HttpContext context, RegistryService registry, string name, bool? deleted, int? offset, int? limit) =>
        {
            var state = registry.State;
            var kek = RegistryDecider.GetKek(state, name, deleted == true);
            var subjects = state.Deks.Values.Where(d => d.KekName == kek.Name && (deleted == true || !d.Deleted)).Select(d => d.Subject)
                .Distinct().Where(s => AccessControl.CanRead(context, s)).Order(StringComparer.Ordinal);
            return RegistryJson.Ok(registry.Page(subjects, offset, limit).ToList());
        });
        // The deprecated form names the subject in the body, so it is authorized here rather than from the path.
        keks.MapPost("/{name}/deks", async (HttpContext context, RegistryService registry, KmsDrivers kms, string name) =>
        {
            var body = await RequestBody.ReadAsync<CreateDekBody>(context);
            var subject = RegistryDecider.ValidDekSubject(body.Subject);
            if (!AccessControl.CanWrite(context, subject)) return RegistryJson.Error(403, 40301, $"Not allowed to write subject '{Errors.Printable(subject)}'");
            return await CreateDek(context, registry, kms, name, subject, body, rewrap: false);
        });
        keks.MapPost("/{name}/deks/{subject}", async (HttpContext context, RegistryService registry, KmsDrivers kms, string name, string subject, bool? rewrap) =>
            await CreateDek(context, registry, kms, name, SubjectPath.Decode(subject), await RequestBody.ReadAsync<CreateDekBody>(context), rewrap == true));
        keks.MapGet("/{name}/deks/{subject}", (RegistryService registry, KmsDrivers kms, string name, string subject, string? algorithm, bool? deleted) =>
            GetDek(registry, kms, name, SubjectPath.Decode(subject), "1", algorithm, deleted));
        keks.MapGet("/{name}/deks/{subject}/versions", (RegistryService registry, string name, string subject, string? algorithm, bool? deleted, int? offset, int? limit) =>
        {
            var state = registry.State;
            var kek = RegistryDecider.GetKek(state, name, deleted == true);
            var versions = RegistryDecider.DekVersions(state, kek.Name, RegistryDecider.ValidDekSubject(SubjectPath.Decode(subject)), Algorithm(algorithm), deleted == true)
                .Select(d => d.Version);
            return RegistryJson.Ok(registry.Page(versions, offset, limit).ToList());
        });
        keks.MapGet("/{name}/deks/{subject}/versions/{version}", (RegistryService registry, KmsDrivers kms, string name, string subject, string version, string? algorithm, bool? deleted) =>
            GetDek(registry, kms, name, SubjectPath.Decode(subject), version, algorithm, deleted));
        keks.MapDelete("/{name}/deks/{subject}", (HttpContext context, RegistryService registry, string name, string subject, string? algorithm, bool? permanent) =>
            Execute(context, registry, state => registry.Decider.DeleteDeks(state, name, SubjectPath.Decode(subject), Algorithm(algorithm), null, permanent == true)));
        keks.MapDelete("/{name}/deks/{subject}/versions/{version}", (HttpContext context, RegistryService registry, string name, string subject, string version, string? algorithm, bool? permanent) =>
            Execute(context, registry, state => registry.Decider.DeleteDeks(state, name, SubjectPath.Decode(subject), Algorithm(algorithm), Version(version), permanent == true)));
        keks.MapPost("/{name}/deks/{subject}/undelete", (HttpContext context, RegistryService registry, string name, string subject, string? algorithm) =>
            Execute(context, registry, state => registry.Decider.UndeleteDeks(state, name, SubjectPath.Decode(subject), Algorithm(algorithm), null)));
        keks.MapPost("/{name}/deks/{subject}/versions/{version}/undelete", (HttpContext context, RegistryService registry, string name, string subject, string version, string? algorithm) =>
            Execute(context, registry, state => registry.Decider.UndeleteDeks(state, name, SubjectPath.Decode(subject), Algorithm(algorithm), Version(version))));
        return app;
    }

    private static IResult ListKeks(HttpContext context, RegistryService registry, bool? deleted, int? offset, int? limit)
    {
        var state = registry.State;
        var prefixes = context.Request.Query["subjectPrefix"].Where(p => p is not null).Select(p => p!).ToList();
        IEnumerable<string> names = prefixes.Count == 0
            ? state.Keks.Values.Where(k => deleted == true || !k.Deleted).Select(k => k.Name)
            : state.Deks.Values.Where(d => (deleted == true || !d.Deleted) && prefixes.Any(p => d.Subject.StartsWith(p, StringComparison.Ordinal))
                    && AccessControl.CanRead(context, d.Subject))
                .Select(d => d.KekName).Distinct().Order(StringComparer.Ordinal);
        return RegistryJson.Ok(registry.Page(names, offset, limit).ToList());
    }

    private static async Task<IResult> CreateKek(HttpContext context, RegistryService registry, KmsDrivers kms, bool? testSharing)
    {
        var body = await RequestBody.ReadAsync<CreateKekBody>(context);
        var command = new CreateKekCommand(body.Name, body.KmsType, body.KmsKeyId, body.KmsProps, body.Doc, body.Shared, body.Deleted);
        if (testSharing == true && body.Shared == true && Local(() => registry.Decider.CreateKek(registry.State, command).Result) is { } kek) TestSharing(kms, kek);
        return RegistryJson.Ok(KekResponse.From(await registry.ExecuteAsync(state => registry.Decider.CreateKek(state, command), context.RequestAborted)));
    }

    private static async Task<IResult> UpdateKek(HttpContext context, RegistryService registry, KmsDrivers kms, string name, bool? testSharing)
    {
        JsonElement body;
        try
        {
            using var parsed = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = parsed.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new RequestBodyException(400, $"Malformed JSON in request body: {e.Message}");
        }
        if (body.ValueKind != JsonValueKind.Object) throw new RequestBodyException(422, "The request body is not a JSON object");
        var hasProps = body.TryGetProperty("kmsProps", out var props);
        var hasDoc = body.TryGetProperty("doc", out var doc);
        var hasShared = body.TryGetProperty("shared", out var shared);
        if ((hasProps && props.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null)) || (hasDoc && doc.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            || (hasShared && shared.ValueKind is not (JsonValueKind.True or JsonValueKind.False)))
            throw new RequestBodyException(422, "Invalid value in the KEK update: kmsProps is an object of strings, doc a string, shared a boolean");
        var command = new UpdateKekCommand(
            hasProps, props.ValueKind == JsonValueKind.Object ? props.Deserialize<Dictionary<string, string>>() : null,
            hasDoc, doc.ValueKind == JsonValueKind.String ? doc.GetString() : null,
            hasShared ? shared.GetBoolean() : null);
        if (testSharing == true && Local(() => registry.Decider.UpdateKek(registry.State, name, command).Result) is { Shared: true } updated) TestSharing(kms, updated);
        return RegistryJson.Ok(KekResponse.From(await registry.ExecuteAsync(state => registry.Decider.UpdateKek(state, name, command), context.RequestAborted)));
    }

    /// <summary>
    /// A read of this node's snapshot ahead of a write (the KMS work a shared KEK needs), or null when the snapshot says
    /// no: on a node that is not the writer it may be behind, so the write itself decides, forwarded to the writer.
    /// </summary>
    private static T? Local<T>(Func<T> read) where T : class
    {
        try
        {
            return read();
        }
        catch (RegistryException e) when (e.ErrorCode is Errors.KeyNotFound or Errors.KeyExists or Errors.InvalidKey)
        {
            return null;
        }
    }

    /// <summary>testSharing: the KMS must wrap a fresh key before a shared KEK is stored; a failure is a plain 500, as in Confluent.</summary>
    private static void TestSharing(KmsDrivers kms, Kek kek)
    {
        try
        {
            WrapTestKey(kms, kek);
        }
        catch (RegistryException e)
        {
            throw new RegistryException(Errors.InternalError, $"Error while creating key: {e.Message}");
        }
    }

    /// <summary>Wraps a fresh key with the KEK's KMS, as Confluent's /test and testSharing do; the KMS's error otherwise.</summary>
    private static void WrapTestKey(KmsDrivers kms, Kek kek) => kms.Wrap(kek, "__TEST", KmsDrivers.NewKeyMaterial(DekAlgorithm.AES256_GCM));

    private static async Task<IResult> CreateDek(HttpContext context, RegistryService registry, KmsDrivers kms, string name, string subject, CreateDekBody body, bool rewrap)
    {
        var algorithm = body.Algorithm is null ? (DekAlgorithm?)null : Algorithm(body.Algorithm);
        var command = new CreateDekCommand(name, subject, body.Version, algorithm, body.EncryptedKeyMaterial, body.Deleted, rewrap);
        var state = registry.State;
        var kek = Local(() => RegistryDecider.GetKek(state, name, body.Deleted == true));
        byte[]? raw = null;
        if (kek is { Shared: true } && body.EncryptedKeyMaterial is null)
        {
            // A shared KEK: the registry makes the key (or, rewrapping, unwraps the stored one) and wraps it with the KMS.
            var old = state.Deks.GetValueOrDefault(new DekKey(kek.Name, subject, algorithm ?? RegistryDecider.DefaultDekAlgorithm, body.Version ?? 1));
            raw = rewrap && old?.EncryptedKeyMaterial is { } stored ? kms.Unwrap(kek, subject, stored) : KmsDrivers.NewKeyMaterial(algorithm ?? RegistryDecider.DefaultDekAlgorithm);
            command = command with { EncryptedKeyMaterial = kms.Wrap(kek, subject, raw), Generated = true };
        }
        // As Confluent, a shared KEK's DEK comes back with its key material, except to a subject in IMPORT mode; material
        // sent for a shared KEK is unwrapped before anything is written, so a DEK the KMS cannot open is never stored.
        var importing = RegistryDecider.EffectiveMode(state, QualifiedSubject.Normalize(subject)) == RegistryMode.Import;
        if (kek is { Shared: true } && !importing && raw is null && body.EncryptedKeyMaterial is { } sent)
        {
            // Checked as the decider checks it, before the KMS sees it: malformed material is the sender's error (42271).
            raw = kms.Unwrap(kek, subject, RegistryDecider.ValidKeyMaterial(sent));
        }
        var dek = await registry.ExecuteAsync(s => registry.Decider.CreateDek(s, command), context.RequestAborted);
        return RegistryJson.Ok(DekResponse.From(dek, kek is { Shared: true } && !importing ? raw : null));
    }

    private static IResult GetDek(RegistryService registry, KmsDrivers kms, string name, string subject, string version, string? algorithm, bool? deleted)
    {
        var state = registry.State;
        var dek = RegistryDecider.GetDek(state, name, subject, Version(version), Algorithm(algorithm), deleted == true);
        var kek = state.Keks[dek.KekName];
        return RegistryJson.Ok(DekResponse.From(dek, kek.Shared && dek.EncryptedKeyMaterial is { } material ? kms.Unwrap(kek, subject, material) : null));
    }

    private static async Task<IResult> Execute<T>(HttpContext context, RegistryService registry, Func<RegistryState, Decision<T>> decide)
    {
        await registry.ExecuteAsync(decide, context.RequestAborted);
        return Results.NoContent();
    }

    private static DekAlgorithm Algorithm(string? text) =>
        text is null ? RegistryDecider.DefaultDekAlgorithm
            : Enum.TryParse<DekAlgorithm>(text, ignoreCase: false, out var algorithm) && Enum.IsDefined(algorithm) ? algorithm : throw Errors.InvalidKeyError("algorithm");

    /// <summary>A DEK version in a path: as a subject version (42202 otherwise), trimmed as Confluent trims it.</summary>
    private static int Version(string text) => VersionSpec.Parse(text.Trim());

    private sealed record CreateKekBody(string? Name, string? KmsType, string? KmsKeyId, Dictionary<string, string>? KmsProps, string? Doc, bool? Shared, bool? Deleted);

    private sealed record CreateDekBody(string? Subject, int? Version, string? Algorithm, string? EncryptedKeyMaterial, bool? Deleted);

    /// <summary>A KEK as Confluent answers it; <c>deleted</c> only when true.</summary>
    private sealed record KekResponse(string Name, string KmsType, string KmsKeyId, IReadOnlyDictionary<string, string> KmsProps, string? Doc, bool Shared, long Ts,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Deleted)
    {
        public static KekResponse From(Kek k) => new(k.Name, k.KmsType, k.KmsKeyId, k.KmsProps, k.Doc, k.Shared, k.Timestamp, k.Deleted);
    }

    /// <summary>A DEK as Confluent answers it: <c>keyMaterial</c> only for a shared KEK, <c>deleted</c> only when true.</summary>
    private sealed record DekResponse(string KekName, string Subject, int Version, string Algorithm, string? EncryptedKeyMaterial, string? KeyMaterial, long Ts,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Deleted)
    {
        public static DekResponse From(Dek d, byte[]? keyMaterial) =>
            new(d.KekName, d.Subject, d.Version, d.Algorithm.ToString(), d.EncryptedKeyMaterial, keyMaterial is null ? null : Convert.ToBase64String(keyMaterial), d.Timestamp, d.Deleted);
    }
}

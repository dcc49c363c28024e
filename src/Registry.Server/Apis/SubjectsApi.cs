using Registry.Core;
using Registry.Core.Decisions;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/subjects: listing, versions, register, lookup and delete.</summary>
public sealed class SubjectsApi(RegistryService registry)
{
    /// <summary>Maps the endpoints; handlers use the one registry service, not one resolved per request (a request scope costs a read ~5%).</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var api = new SubjectsApi(app.ServiceProvider.GetRequiredService<RegistryService>());
        var group = app.MapGroup("/subjects");
        group.MapGet("", api.ListSubjects);
        group.MapPost("/{subject}", api.Lookup);
        group.MapDelete("/{subject}", api.DeleteSubject);
        group.MapGet("/{subject}/metadata", api.GetByMetadata);
        group.MapGet("/{subject}/versions", api.ListVersions);
        group.MapPost("/{subject}/versions", api.Register);
        group.MapGet("/{subject}/versions/{version}", api.GetVersion);
        group.MapGet("/{subject}/versions/{version}/schema", api.GetRawVersion);
        group.MapGet("/{subject}/versions/{version}/referencedby", api.GetReferencedBy);
        group.MapDelete("/{subject}/versions/{version}", api.DeleteVersion);
        return app;
    }

    private IResult ListSubjects(HttpContext context, string? subjectPrefix, bool? deleted, bool? deletedOnly, int? offset, int? limit)
    {
        var prefix = SchemasApi.PrefixFilter(subjectPrefix);
        var subjects = registry.State.Subjects.Values
            .Where(s => prefix(s.Name) && Security.AccessControl.CanRead(context, s.Name))
            .Where(s => deletedOnly == true ? !s.HasLive : deleted == true || s.HasLive)
            .Select(s => s.Name);
        return RegistryJson.Ok(registry.Page(subjects, offset, limit).ToList());
    }

    private IResult ListVersions(string subject, bool? deleted, bool? deletedOnly, bool? deletedAsNegative, int? offset, int? limit)
    {
        var name = Subject(registry, subject);
        if (!registry.State.Subjects.TryGetValue(name, out var s) || (deleted != true && deletedOnly != true && !s.HasLive))
            throw Errors.SubjectNotFoundError(name);
        var versions = s.Versions.Values
            .Where(v => deletedOnly == true ? v.Deleted : deleted == true || deletedAsNegative == true || !v.Deleted)
            .Select(v => deletedAsNegative == true && v.Deleted ? -v.Version : v.Version);
        return RegistryJson.Ok(registry.Page(versions, offset, limit).ToList());
    }

    private IResult GetVersion(HttpContext context, string subject, string version, bool? deleted, string? format)
    {
        var found = FindVersion(context, subject, version, deleted);
        return RegistryJson.Ok(SchemaResponse.From(found, SchemasApi.Formatted(registry, found.Schema, format)));
    }

    private IResult GetRawVersion(HttpContext context, string subject, string version, bool? deleted) =>
        SchemasApi.Raw(context, FindVersion(context, subject, version, deleted).Schema.Schema);

    /// <summary>A version of the subject, or of the same name in another context the caller may read (as Confluent).</summary>
    private RegisteredSchema FindVersion(HttpContext context, string subject, string version, bool? deleted) =>
        RegistryDecider.GetVersionUsingContexts(registry.State, Subject(registry, subject), version, deleted == true, Security.AccessControl.ReadFilter(context));

    private IResult GetReferencedBy(string subject, string version, bool? deleted, int? offset, int? limit)
    {
        var found = RegistryDecider.GetVersion(registry.State, Subject(registry, subject), version, includeDeleted: true);
        var ids = RegistryDecider.ReferencedBy(registry.State, found.Subject, found.Version, deleted == true).Select(k => k.Id);
        return RegistryJson.Ok(registry.Page(ids, offset, limit).ToList());
    }

    private IResult GetByMetadata(string subject, string[]? key, string[]? value, bool? deleted)
    {
        var name = Subject(registry, subject);
        var state = registry.State;
        if (!state.Subjects.TryGetValue(name, out var s) || (deleted != true && !s.HasLive)) throw Errors.SubjectNotFoundError(name);
        key ??= [];
        value ??= [];
        if (key.Length != value.Length) throw new RegistryException(Errors.UnprocessableEntity, "Every metadata key needs a value");
        var match = s.Versions.Values.Reverse()
            .Where(v => deleted == true || !v.Deleted)
            .FirstOrDefault(v =>
            {
                var props = state.SchemaOf(name, v).Metadata?.Properties;
                return key.Select((k, i) => props?.GetValueOrDefault(k) == value[i]).All(x => x);
            }) ?? throw Errors.SchemaNotFoundError();
        return RegistryJson.Ok(SchemaResponse.From(name, match.Version, state.SchemaOf(name, match), match.Timestamp, match.Deleted));
    }

    private async Task<IResult> Register(HttpContext context, string subject, bool? normalize, bool? force, bool? reviewOverride)
    {
        var body = await RequestBody.ReadAsync<RegisterSchemaRequest>(context);
        var name = SubjectPath.Decode(subject);
        // An admin of the subject may register past its review policy, and the audit says so.
        var bypass = reviewOverride == true && ProposalsApi.RolesOn(context, Core.Model.QualifiedSubject.Normalize(name)).Contains("admin");
        if (bypass) context.Items[Security.AuditMiddleware.NoteKey] = "review policy overridden";
        var command = new RegisterCommand(name, Security.AccessControl.InputOf(context, name, body), body.Id is null or < 0 ? null : body.Id, body.Version, normalize == true, force == true, body.Ts,
            ReviewBypass: bypass);
        var appended = false;
        RegisteredSchema r;
        try
        {
            r = await registry.ExecuteAsync(state =>
            {
                var decision = registry.Decider.Register(state, command);
                appended = !decision.Events.IsDefaultOrEmpty;
                return decision;
            }, context.RequestAborted, state => registry.Decider.Warm(state, command));
        }
        catch (RegistryException e) when (e.ErrorCode == Errors.IncompatibleSchema)
        {
            ServerMetrics.CompatibilityFailures.Add(1);
            throw;
        }
        var s = r.Schema;
        context.Items[Security.AuditMiddleware.VersionKey] = r.Version;
        context.Items[Security.AuditMiddleware.IdKey] = s.Id;
        if (appended) ServerMetrics.Registrations.Add(1, new KeyValuePair<string, object?>("type", s.SchemaType));
        return RegistryJson.Ok(new RegisterSchemaResponse(s.Id, r.Version, s.Guid, s.SchemaType,
            SchemaResponse.NullIfEmpty(s.References), s.Metadata, s.RuleSet, new SchemaText(s), r.Timestamp));
    }

    // A ValueTask: a lookup decided without waiting (the usual one) allocates no task.
    private async ValueTask<IResult> Lookup(HttpContext context, string subject, bool? normalize, bool? deleted)
    {
        var body = await RequestBody.ReadAsync<RegisterSchemaRequest>(context);
        var name = SubjectPath.Decode(subject);
        var found = registry.Decider.Lookup(registry.State, name, Security.AccessControl.InputOf(context, name, body), normalize == true, deleted == true,
            Security.AccessControl.ReadFilter(context));
        return RegistryJson.Ok(SchemaResponse.From(found));
    }

    private async Task<IResult> DeleteSubject(HttpContext context, string subject, bool? permanent)
    {
        var name = SubjectPath.Decode(subject);
        var versions = await registry.ExecuteAsync(state => registry.Decider.DeleteSubject(state, name, permanent == true), context.RequestAborted);
        return RegistryJson.Ok(versions);
    }

    private async Task<IResult> DeleteVersion(HttpContext context, string subject, string version, bool? permanent)
    {
        var name = SubjectPath.Decode(subject);
        var deleted = await registry.ExecuteAsync(state => registry.Decider.DeleteVersion(state, name, version, permanent == true), context.RequestAborted);
        return RegistryJson.Ok(deleted);
    }

    /// <summary>A subject from the path, validated (42208) and in stored form.</summary>
    internal static string Subject(RegistryService registry, string segment) => registry.Decider.ValidSubject(SubjectPath.Decode(segment));
}

using System.Globalization;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/schemas: schemas by id, and the listing of all schemas.</summary>
public sealed class SchemasApi(RegistryService registry)
{
    /// <summary>Maps the endpoints; handlers use the one registry service, not one resolved per request (a request scope costs a read ~5%).</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        var api = new SchemasApi(app.ServiceProvider.GetRequiredService<RegistryService>());
        var group = app.MapGroup("/schemas");
        group.MapGet("/types", api.Types);
        group.MapGet("", api.ListSchemas);
        group.MapGet("/ids/{id}", api.GetById);
        group.MapGet("/ids/{id}/schema", api.GetRawById);
        group.MapGet("/ids/{id}/subjects", api.GetSubjectsById);
        group.MapGet("/ids/{id}/versions", api.GetVersionsById);
        group.MapGet("/guids/{guid}", api.GetByGuid);
        group.MapGet("/guids/{guid}/ids", api.GetIdsByGuid);
        return app;
    }

    private IResult Types() => RegistryJson.Ok(registry.Decider.Formats.Types.Order(StringComparer.Ordinal).ToList());

    private IResult ListSchemas(HttpContext context, string? subjectPrefix, bool? deleted, bool? latestOnly, string? ruleType, int? offset, int? limit)
    {
        var state = registry.State;
        var prefix = PrefixFilter(subjectPrefix);
        var items = state.Subjects.Values
            .Where(s => prefix(s.Name) && Security.AccessControl.CanRead(context, s.Name))
            .SelectMany(s =>
            {
                var versions = s.Versions.Values.Where(v => deleted == true || !v.Deleted);
                return latestOnly == true ? versions.TakeLast(1) : versions;
            }, (s, v) => (Subject: s.Name, Version: v, Schema: state.SchemaOf(s.Name, v)))
            // ruleType: only schemas with a rule of that type (CEL, ENCRYPT, …), as Confluent filters.
            .Where(x => string.IsNullOrEmpty(ruleType) || x.Schema.RuleSet?.AllRules.Any(r => string.Equals(r.Type, ruleType, StringComparison.OrdinalIgnoreCase)) == true)
            .Select(x => SchemaResponse.From(x.Subject, x.Version.Version, x.Schema, x.Version.Timestamp, x.Version.Deleted));
        return RegistryJson.Ok(registry.Page(items, offset, limit).ToList());
    }

    private IResult GetById(HttpContext context, string id, string? subject, string? format, bool? fetchMaxId)
    {
        var state = registry.State;
        // With a subject hint that holds the id, report that subject's latest version using it (Confluent 8.x does),
        // only when the caller may read that subject: otherwise the answer would tell which other tenants' subjects exist.
        var (schema, usage) = FindById(context, state, id, subject);
        registry.Usage.Record(schema.Key, Usage.UsageTracker.Fetch, ProposalsApi.Principal(context), null);
        // ts and deleted are those of the version the id was found under (Confluent 8.x reports them too).
        var found = usage ?? state.UsagesOf(schema.Key).First;
        var version = state.Subjects[found.Subject].Versions[found.Version];
        return RegistryJson.Ok(new SchemaStringResponse(Formatted(registry, schema, format), schema.SchemaType, SchemaResponse.NullIfEmpty(schema.References),
            schema.Metadata, schema.RuleSet, schema.Guid, fetchMaxId == true ? state.MaxIdIn(schema.Context) : null,
            usage?.Subject, usage?.Version, version.Timestamp, version.Deleted));
    }

    private IResult GetByGuid(string guid)
    {
        var schema = FindByGuid(guid);
        return RegistryJson.Ok(new SchemaStringResponse(new SchemaText(schema), schema.SchemaType, SchemaResponse.NullIfEmpty(schema.References),
            schema.Metadata, schema.RuleSet, schema.Guid, null, null, null));
    }

    private IResult GetIdsByGuid(string guid) =>
        RegistryJson.Ok(WithGuid(registry.State, guid).Select(s => new { context = s.Context, id = s.Id }).ToList());

    private Core.State.StoredSchema FindByGuid(string guid) =>
        WithGuid(registry.State, guid).FirstOrDefault() ?? throw new RegistryException(Errors.SchemaNotFound, $"Schema {Errors.Printable(guid, 50)} not found");

    /// <summary>
    /// The live schemas with Confluent's MD5 GUID, one per context that holds it, the default context first (a scan:
    /// GUID lookups are rare and cached by clients).
    /// </summary>
    private static IEnumerable<Core.State.StoredSchema> WithGuid(Core.State.RegistryState state, string guid) =>
        Guid.TryParse(guid, out var g)
            ? state.Schemas.Values.Where(s => s.Guid == g && state.Usages.ContainsKey(s.Key))
                .OrderBy(s => s.Context == QualifiedSubject.DefaultContext ? 0 : 1).ThenBy(s => s.Key)
            : [];

    /// <summary>
    /// A schema by the id in the path, in the context the <c>subject</c> query names (the default context without
    /// one; a context-scoped URL adds it), as Confluent resolves ids.
    /// </summary>
    internal static (Core.State.StoredSchema Schema, Core.State.SubjectVersionRef? Usage) FindById(HttpContext context, Core.State.RegistryState state, string id, string? subject) =>
        RegistryDecider.FindSchemaById(state, ParseId(id), string.IsNullOrEmpty(subject) ? null : SubjectPath.Decode(subject), Security.AccessControl.ReadFilter(context));

    private IResult GetRawById(HttpContext context, string id, string? subject) =>
        Raw(context, FindById(context, registry.State, id, subject).Schema.Schema);

    private IResult GetSubjectsById(HttpContext context, string id, string? subject, bool? deleted, int? offset, int? limit)
    {
        var subjects = Usages(context, id, subject, deleted).Select(u => u.Subject).Where(s => Security.AccessControl.CanRead(context, s)).Distinct(StringComparer.Ordinal);
        return RegistryJson.Ok(registry.Page(subjects, offset, limit).ToList());
    }

    private IResult GetVersionsById(HttpContext context, string id, string? subject, bool? deleted, int? offset, int? limit)
    {
        var versions = Usages(context, id, subject, deleted).Where(u => Security.AccessControl.CanRead(context, u.Subject)).Select(u => new SubjectVersionResponse(u.Subject, u.Version));
        return RegistryJson.Ok(registry.Page(versions, offset, limit).ToList());
    }

    /// <summary>Every subject version of the id's context that uses it (as Confluent lists them, whatever subject the hint names).</summary>
    private IEnumerable<Core.State.SubjectVersionRef> Usages(HttpContext context, string id, string? subject, bool? deleted)
    {
        var state = registry.State;
        var schema = FindById(context, state, id, subject).Schema;
        return state.UsagesOf(schema.Key).Where(u => deleted == true || !state.Subjects[u.Subject].Versions[u.Version].Deleted);
    }

    /// <summary>The schema text in the requested format: <c>serialized</c> gives a Protobuf schema as a base64 FileDescriptorProto.</summary>
    internal static SchemaText Formatted(RegistryService registry, Core.State.StoredSchema schema, string? format) =>
        string.Equals(format, "serialized", StringComparison.OrdinalIgnoreCase) && schema.SchemaType == Formats.Protobuf.ProtobufFormat.Type
            ? Formats.Protobuf.ProtobufFormat.Serialized(registry.Decider.ParseStored(registry.State, schema))
            : new SchemaText(schema);

    /// <summary>A schema id from the path; anything but a positive integer is simply not found.</summary>
    internal static int ParseId(string id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new RegistryException(Errors.SchemaNotFound, $"Schema {Errors.Printable(id, 50)} not found");

    /// <summary>
    /// Confluent's <c>subjectPrefix</c>: absent or <c>:*:</c> is every context; given but empty is the default context
    /// only; <c>:*:name</c> is that name in every context; otherwise the subjects that start with it.
    /// </summary>
    internal static Func<string, bool> PrefixFilter(string? prefix) => prefix switch
    {
        null or ":*:" => _ => true,
        "" => s => QualifiedSubject.Parse(s).Context == QualifiedSubject.DefaultContext,
        // :*:name matches that name in every context.
        _ when prefix.StartsWith(":*:", StringComparison.Ordinal) => s => QualifiedSubject.Parse(s).Name.StartsWith(prefix[3..], StringComparison.Ordinal),
        _ => s => s.StartsWith(prefix, StringComparison.Ordinal),
    };

    /// <summary>A raw schema string (the /schema endpoints), with the negotiated content type.</summary>
    internal static IResult Raw(HttpContext context, string schema) =>
        Results.Text(schema, ContentNegotiationMiddleware.ResponseType(context), System.Text.Encoding.UTF8);
}

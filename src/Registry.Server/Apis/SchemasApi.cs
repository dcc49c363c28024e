using System.Globalization;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/schemas: schemas by id, and the listing of all schemas.</summary>
public static class SchemasApi
{
    public static IEndpointRouteBuilder MapSchemasApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/schemas");
        group.MapGet("/types", (RegistryService registry) => RegistryJson.Ok(registry.Decider.Formats.Types.Order(StringComparer.Ordinal).ToList()));
        group.MapGet("", ListSchemas);
        group.MapGet("/ids/{id}", GetById);
        group.MapGet("/ids/{id}/schema", GetRawById);
        group.MapGet("/ids/{id}/subjects", GetSubjectsById);
        group.MapGet("/ids/{id}/versions", GetVersionsById);
        group.MapGet("/guids/{guid}", GetByGuid);
        group.MapGet("/guids/{guid}/ids", GetIdsByGuid);
        return app;
    }

    private static IResult ListSchemas(HttpContext context, RegistryService registry, string? subjectPrefix, bool? deleted, bool? latestOnly, string? ruleType, int? offset, int? limit)
    {
        var state = registry.State;
        var prefix = PrefixFilter(subjectPrefix);
        var items = state.Subjects.Values
            .Where(s => prefix(s.Name) && Security.AccessControl.CanRead(context, s.Name))
            .SelectMany(s =>
            {
                var versions = s.Versions.Values.Where(v => deleted == true || !v.Deleted);
                return latestOnly == true ? versions.TakeLast(1) : versions;
            }, (s, v) => (Subject: s.Name, Version: v, Schema: state.Schemas[v.Id]))
            // ruleType: only schemas with a rule of that type (CEL, ENCRYPT, …), as Confluent filters.
            .Where(x => string.IsNullOrEmpty(ruleType) || x.Schema.RuleSet?.AllRules.Any(r => string.Equals(r.Type, ruleType, StringComparison.OrdinalIgnoreCase)) == true)
            .Select(x => SchemaResponse.From(x.Subject, x.Version.Version, x.Schema, x.Version.Timestamp, x.Version.Deleted));
        return RegistryJson.Ok(registry.Page(items, offset, limit).ToList());
    }

    private static IResult GetById(RegistryService registry, string id, string? subject, string? format, bool? fetchMaxId)
    {
        var state = registry.State;
        var schema = RegistryDecider.GetSchema(state, ParseId(id));
        // With a subject hint, report the latest version of that subject using this id (Confluent 8.x does).
        var usage = string.IsNullOrEmpty(subject)
            ? []
            : state.UsagesOf(schema.Id).Where(u => u.Subject == QualifiedSubject.Normalize(SubjectPath.Decode(subject))).TakeLast(1).ToList();
        return RegistryJson.Ok(new SchemaStringResponse(Formatted(registry, schema, format), schema.SchemaType, SchemaResponse.NullIfEmpty(schema.References),
            schema.Metadata, schema.RuleSet, SchemaIdentity.GuidString(schema.Guid), fetchMaxId == true ? state.MaxId : null,
            usage.Count > 0 ? usage[0].Subject : null, usage.Count > 0 ? usage[0].Version : null));
    }

    private static IResult GetByGuid(RegistryService registry, string guid)
    {
        var schema = FindByGuid(registry, guid);
        return RegistryJson.Ok(new SchemaStringResponse(schema.Schema, schema.SchemaType, SchemaResponse.NullIfEmpty(schema.References),
            schema.Metadata, schema.RuleSet, SchemaIdentity.GuidString(schema.Guid), null, null, null));
    }

    private static IResult GetIdsByGuid(RegistryService registry, string guid) =>
        RegistryJson.Ok(new[] { new { context = QualifiedSubject.DefaultContext, id = FindByGuid(registry, guid).Id } });

    /// <summary>A schema by Confluent's MD5 GUID (a scan: GUID lookups are rare and cached by clients).</summary>
    private static Core.State.StoredSchema FindByGuid(RegistryService registry, string guid)
    {
        var state = registry.State;
        var found = Guid.TryParse(guid, out var g) ? state.Schemas.Values.FirstOrDefault(s => s.Guid == g && state.Usages.ContainsKey(s.Id)) : null;
        return found ?? throw new RegistryException(Errors.SchemaNotFound, $"Schema {Errors.Printable(guid, 50)} not found");
    }

    private static IResult GetRawById(HttpContext context, RegistryService registry, string id) =>
        Raw(context, RegistryDecider.GetSchema(registry.State, ParseId(id)).Schema);

    private static IResult GetSubjectsById(HttpContext context, RegistryService registry, string id, string? subject, bool? deleted, int? offset, int? limit)
    {
        var state = registry.State;
        var schema = RegistryDecider.GetSchema(state, ParseId(id));
        var subjects = Usages(registry, schema.Id, subject, deleted).Select(u => u.Subject).Where(s => Security.AccessControl.CanRead(context, s)).Distinct(StringComparer.Ordinal);
        return RegistryJson.Ok(registry.Page(subjects, offset, limit).ToList());
    }

    private static IResult GetVersionsById(HttpContext context, RegistryService registry, string id, string? subject, bool? deleted, int? offset, int? limit)
    {
        var schema = RegistryDecider.GetSchema(registry.State, ParseId(id));
        var versions = Usages(registry, schema.Id, subject, deleted).Where(u => Security.AccessControl.CanRead(context, u.Subject)).Select(u => new SubjectVersionResponse(u.Subject, u.Version));
        return RegistryJson.Ok(registry.Page(versions, offset, limit).ToList());
    }

    private static IEnumerable<Core.State.SubjectVersionRef> Usages(RegistryService registry, int id, string? subject, bool? deleted)
    {
        var state = registry.State;
        var name = string.IsNullOrEmpty(subject) ? null : QualifiedSubject.Normalize(SubjectPath.Decode(subject));
        return state.UsagesOf(id).Where(u =>
            (name is null || u.Subject == name) && (deleted == true || !state.Subjects[u.Subject].Versions[u.Version].Deleted));
    }

    /// <summary>The schema text in the requested format: <c>serialized</c> gives a Protobuf schema as a base64 FileDescriptorProto.</summary>
    internal static string Formatted(RegistryService registry, Core.State.StoredSchema schema, string? format) =>
        string.Equals(format, "serialized", StringComparison.OrdinalIgnoreCase) && schema.SchemaType == Formats.Protobuf.ProtobufFormat.Type
            ? Formats.Protobuf.ProtobufFormat.Serialized(registry.Decider.ParseStored(registry.State, schema))
            : schema.Schema;

    /// <summary>A schema id from the path; anything but a positive integer is simply not found.</summary>
    internal static int ParseId(string id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new RegistryException(Errors.SchemaNotFound, $"Schema {Errors.Printable(id, 50)} not found");

    /// <summary>Subjects matching a prefix; empty or ":*:" matches every context.</summary>
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

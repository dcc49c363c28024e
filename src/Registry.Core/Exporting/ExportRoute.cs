using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Core.Exporting;

/// <summary>What an exporter does at its destination for one log event.</summary>
public abstract record ExportOperation(string Subject);

/// <summary>Register a version with its id (IMPORT mode at the destination).</summary>
public sealed record ExportRegister(
    string Subject, int Version, int Id, string SchemaType, string Schema, ImmutableArray<SchemaReference> References,
    Metadata? Metadata, RuleSet? RuleSet, long Timestamp) : ExportOperation(Subject);

/// <summary>Delete one version; a soft delete carries the registration, for a destination that never saw the version.</summary>
public sealed record ExportDeleteVersion(string Subject, int Version, bool Permanent, ExportRegister? IfMissing = null) : ExportOperation(Subject);

/// <summary>Soft-delete a subject's versions.</summary>
public sealed record ExportDeleteSubject(string Subject) : ExportOperation(Subject);

/// <summary>Set (or, with no config, clear) a subject's or context's config; a context scope is <c>:.ctx:</c>.</summary>
public sealed record ExportConfig(string Subject, SubjectConfig? Config) : ExportOperation(Subject);

/// <summary>Create or bring in step a KEK (its definition and deleted flag), under its destination name.</summary>
public sealed record ExportKek(Kek Kek) : ExportOperation(Kek.Name);

/// <summary>Delete a KEK permanently.</summary>
public sealed record ExportKekRemoved(string Name) : ExportOperation(Name);

/// <summary>Create or bring in step a DEK version with its wrapped material, under its destination KEK and subject.</summary>
public sealed record ExportDek(Dek Dek) : ExportOperation(Dek.Subject);

/// <summary>Delete a DEK version permanently.</summary>
public sealed record ExportDekRemoved(string KekName, string Subject, DekAlgorithm Algorithm, int Version) : ExportOperation(Subject);

/// <summary>
/// Where an exporter sends each subject, and which events it copies: schema versions with their ids, soft and
/// permanent deletes, and configs of the subjects it exports (and, into an AUTO or CUSTOM context, the source
/// context's config); every KEK (renamed by <c>kekRenameFormat</c>) and the DEKs of the subjects it exports.
/// Pure: the same definition and event always give the same operations.
/// </summary>
/// <remarks>
/// Modes are not copied: the destination's subjects must stay in IMPORT mode to take the copies, and a mode copied
/// from the source (READWRITE, READONLY) would refuse the next one. Promoting the destination sets them (docs/dr.md).
/// </remarks>
public sealed class ExportRoute(ExporterDefinition exporter, string? autoContextName = null)
{
    public const string UrlKey = "schema.registry.url";
    public const string SubjectPlaceholder = "${subject}";
    public const string AllContexts = ":*:";
    public const string KekPlaceholder = "${kek}";

    /// <summary>The destination name of a KEK.</summary>
    public string KekName(string name) => exporter.KekRenameFormat?.Replace(KekPlaceholder, name, StringComparison.Ordinal) ?? name;

    public ExporterDefinition Exporter => exporter;

    /// <summary>The destination context for subjects of <paramref name="sourceContext"/>.</summary>
    public string DestinationContext(string sourceContext) => exporter.ContextType switch
    {
        ExporterDefinition.None => sourceContext,
        ExporterDefinition.Custom => exporter.Context!,
        _ => "." + (autoContextName ?? exporter.Name),
    };

    /// <summary>Whether the exporter copies <paramref name="subject"/> (stored form: <c>name</c> or <c>:.ctx:name</c>).</summary>
    public bool Selects(string subject)
    {
        var q = QualifiedSubject.Parse(subject);
        foreach (var pattern in exporter.Subjects)
        {
            if (pattern == AllContexts) return true;
            var p = QualifiedSubject.Parse(pattern);
            if (p.Context != q.Context) continue;
            if (p.Name.EndsWith('*') ? q.Name.StartsWith(p.Name[..^1], StringComparison.Ordinal) : p.Name == q.Name) return true;
        }
        return false;
    }

    /// <summary>The destination subject (stored form) of a source subject.</summary>
    public string Destination(string subject)
    {
        var q = QualifiedSubject.Parse(subject);
        var name = exporter.SubjectRenameFormat?.Replace(SubjectPlaceholder, q.Name, StringComparison.Ordinal) ?? q.Name;
        return new QualifiedSubject(DestinationContext(q.Context), name).ToString();
    }

    /// <summary>The destination's context scope (<c>:.ctx:</c>, or "" for the default context) of a source scope.</summary>
    private string? DestinationScope(string? scope)
    {
        // The default context's config is the top-level one; NONE would overwrite the destination's own, so it is left.
        if (exporter.ContextType == ExporterDefinition.None) return null;
        var context = string.IsNullOrEmpty(scope) ? QualifiedSubject.DefaultContext : QualifiedSubject.Parse(scope).Context;
        if (context == ".__GLOBAL" || !exporter.Subjects.Any(p => p == AllContexts || QualifiedSubject.Parse(p).Context == context)) return null;
        return new QualifiedSubject(DestinationContext(context), "").ContextScope;
    }

    public IReadOnlyList<ExportOperation> Map(RegistryEvent e) => e switch
    {
        SchemaRegistered r when Selects(r.Subject) && r.Deleted => [new ExportDeleteVersion(Destination(r.Subject), r.Version, false, Register(r))],
        SchemaRegistered r when Selects(r.Subject) => [Register(r)],
        VersionHardDeleted d when Selects(d.Subject) => [new ExportDeleteVersion(Destination(d.Subject), d.Version, true)],
        SubjectSoftDeleted d when Selects(d.Subject) => [new ExportDeleteSubject(Destination(d.Subject))],
        ConfigSet c => Config(c.Subject, c.Config),
        ConfigCleared c => Config(c.Subject, null),
        KekPut k => [new ExportKek(k.Kek with { Name = KekName(k.Kek.Name) })],
        KekRemoved k => [new ExportKekRemoved(KekName(k.Name))],
        DekPut d when Selects(d.Dek.Subject) => [new ExportDek(d.Dek with { KekName = KekName(d.Dek.KekName), Subject = Destination(d.Dek.Subject) })],
        DekRemoved d when Selects(d.Subject) => [new ExportDekRemoved(KekName(d.KekName), Destination(d.Subject), d.Algorithm, d.Version)],
        _ => [],
    };

    private IReadOnlyList<ExportOperation> Config(string? subject, SubjectConfig? config)
    {
        if (subject is { Length: > 0 } && !QualifiedSubject.Parse(subject).IsContextScope)
            return Selects(subject) ? [new ExportConfig(Destination(subject), config)] : [];
        return DestinationScope(subject) is { } scope ? [new ExportConfig(scope, config)] : [];
    }

    private ExportRegister Register(SchemaRegistered r)
    {
        var source = QualifiedSubject.Parse(r.Subject).Context;
        var destination = DestinationContext(source);
        // A reference names a subject relative to the schema's context; it keeps naming the copy of that subject.
        var references = r.References.Select(reference =>
        {
            var target = QualifiedSubject.Parse(Destination(QualifiedSubject.QualifyIn(source, reference.Subject)));
            return reference with { Subject = target.Context == destination ? target.Name : target.ToString() };
        }).ToImmutableArray();
        return new ExportRegister(Destination(r.Subject), r.Version, r.Id, r.SchemaType, r.Schema, references, r.Metadata, r.RuleSet, r.Timestamp);
    }
}

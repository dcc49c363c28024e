using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Exporting;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

/// <summary>Exporters (Confluent Schema Linking): the definitions and the progress of each, in the log.</summary>
public sealed partial class RegistryDecider
{
    public const int ExporterNotFound = 40450;
    public const int InvalidExporterName = 40950;
    public const int InvalidExporterConfig = 40951;
    public const int InvalidExporterSubjects = 40952;
    public const int ExporterExists = 40960;
    public const int ExporterRunning = 40961;
    public const int ExporterNotPaused = 40963;
    public const int TooManyExporters = 40964;

    /// <summary>POST /exporters: a new exporter, running from the start of the log.</summary>
    public Decision<string> CreateExporter(RegistryState state, ExporterDefinition exporter)
    {
        if (string.IsNullOrWhiteSpace(exporter.Name) || exporter.Name.Length > 255 || exporter.Name.Any(c => char.IsControl(c) || c is '/' or '\\'))
            throw new RegistryException(InvalidExporterName, "Missing or invalid exporter name");
        if (state.Exporters.ContainsKey(exporter.Name))
            throw new RegistryException(ExporterExists, $"Exporter '{Errors.Printable(exporter.Name)}' already exists");
        if (state.Exporters.Count >= settings.MaxExporters)
            throw new RegistryException(TooManyExporters, $"A maximum of {settings.MaxExporters} exporters already exist");
        var valid = Validate(exporter with { Paused = false });
        return new Decision<string>(valid.Name, [new ExporterPut(valid)]);
    }

    /// <summary>PUT /exporters/{name} and PUT …/config: a paused exporter's new definition.</summary>
    public Decision<string> UpdateExporter(RegistryState state, string name, Func<ExporterDefinition, ExporterDefinition> change)
    {
        var known = Exporter(state, name);
        if (!known.Definition.Paused)
            throw new RegistryException(ExporterNotPaused, $"Exporter '{Errors.Printable(name)}' must be paused first");
        var valid = Validate(change(known.Definition) with { Name = known.Definition.Name, Paused = true });
        return valid == known.Definition ? Decision<string>.NoChange(name) : new Decision<string>(name, [new ExporterPut(valid)]);
    }

    /// <summary>PUT …/pause: the node running it stops at its next step; pausing a paused exporter changes nothing.</summary>
    public static Decision<string> PauseExporter(RegistryState state, string name)
    {
        var known = Exporter(state, name);
        return known.Definition.Paused ? Decision<string>.NoChange(name) : new Decision<string>(name, [new ExporterPut(known.Definition with { Paused = true })]);
    }

    /// <summary>PUT …/resume: 40961 unless paused.</summary>
    public static Decision<string> ResumeExporter(RegistryState state, string name)
    {
        var known = Exporter(state, name);
        if (!known.Definition.Paused) throw new RegistryException(ExporterRunning, $"Exporter '{Errors.Printable(name)}' is already running");
        return new Decision<string>(name, [new ExporterPut(known.Definition with { Paused = false })]);
    }

    /// <summary>PUT …/reset: a paused exporter starts again from the beginning of the log when resumed.</summary>
    public static Decision<string> ResetExporter(RegistryState state, string name)
    {
        var known = Exporter(state, name);
        if (!known.Definition.Paused) throw new RegistryException(ExporterNotPaused, $"Exporter '{Errors.Printable(name)}' must be paused first");
        return new Decision<string>(name, [new ExporterProgressed(ExporterProgress.Initial(name))]);
    }

    /// <summary>DELETE /exporters/{name}.</summary>
    public static Decision<string> DeleteExporter(RegistryState state, string name)
    {
        Exporter(state, name);
        return new Decision<string>(name, [new ExporterDeleted(name)]);
    }

    /// <summary>
    /// The node <paramref name="node"/> takes (<paramref name="position"/> null) or renews an exporter's lease, recording
    /// how far it got. Refused (the node must stop) when the exporter is gone, paused or changed since the node started
    /// it (<paramref name="definition"/>), when another node holds a lease that has not expired (the log's order decides
    /// between two nodes claiming at once, as for every write), or, on renewal, when the node no longer holds it (reset).
    /// </summary>
    public Decision<ExporterProgress> ClaimExporter(RegistryState state, ExporterDefinition definition, string node, long? position, string trace, TimeSpan lease)
    {
        var name = definition.Name;
        var known = Exporter(state, name);
        if (known.Definition != definition) throw new RegistryException(ExporterNotPaused, $"Exporter '{Errors.Printable(name)}' was paused or changed");
        var now = Now;
        if (!known.Progress.FreeFor(node, now) || (position is not null && known.Progress.Owner != node))
            throw new RegistryException(ExporterRunning, $"Exporter '{Errors.Printable(name)}' is not held by {node}");
        var progress = new ExporterProgress(name, position ?? known.Progress.Position, now, trace, node, now + (long)lease.TotalMilliseconds);
        return new Decision<ExporterProgress>(progress, [new ExporterProgressed(progress)]);
    }

    /// <summary>A node that stops running an exporter (shutdown) gives its lease up, so another node takes over at once.</summary>
    public Decision<ExporterProgress?> ReleaseExporter(RegistryState state, string name, string node, long position, string trace)
    {
        if (!state.Exporters.TryGetValue(name, out var known) || known.Progress.Owner != node) return Decision<ExporterProgress?>.NoChange(null);
        var progress = new ExporterProgress(name, position, Now, trace, null, 0);
        return new Decision<ExporterProgress?>(progress, [new ExporterProgressed(progress)]);
    }

    public static ExporterEntry Exporter(RegistryState state, string name) =>
        state.Exporters.TryGetValue(name, out var known)
            ? known
            : throw new RegistryException(ExporterNotFound, $"Exporter '{Errors.Printable(name)}' not found");

    private ExporterDefinition Validate(ExporterDefinition exporter)
    {
        var contextType = (exporter.ContextType ?? ExporterDefinition.Auto).ToUpperInvariant();
        if (contextType is not (ExporterDefinition.Auto or ExporterDefinition.Custom or ExporterDefinition.None))
            throw new RegistryException(InvalidExporterConfig, $"Invalid contextType '{Errors.Printable(exporter.ContextType ?? "")}': AUTO, CUSTOM or NONE");
        string? context = null;
        if (contextType == ExporterDefinition.Custom)
        {
            context = exporter.Context is { Length: > 0 } c ? (c[0] == '.' ? c : "." + c) : null;
            if (context is null or "." || QualifiedSubject.Validate($":{context}:x", settings.MaxSubjectLength) is not null || context.Contains(':', StringComparison.Ordinal))
                throw new RegistryException(InvalidExporterConfig, "contextType CUSTOM needs a valid context (not the default context)");
        }
        var subjects = exporter.Subjects.IsDefaultOrEmpty ? ExporterDefinition.AllSubjects : exporter.Subjects;
        foreach (var pattern in subjects)
        {
            if (string.IsNullOrEmpty(pattern) || (pattern != ExportRoute.AllContexts && QualifiedSubject.Validate(pattern.TrimEnd('*') + "x", settings.MaxSubjectLength, allowContextScope: true) is not null))
                throw new RegistryException(InvalidExporterSubjects, $"Invalid exporter subject '{Errors.Printable(pattern ?? "")}'");
        }
        var rename = string.IsNullOrEmpty(exporter.SubjectRenameFormat) ? null : exporter.SubjectRenameFormat;
        if (rename is not null && (rename.Contains(':', StringComparison.Ordinal) || QualifiedSubject.Validate(rename.Replace(ExportRoute.SubjectPlaceholder, "x", StringComparison.Ordinal), settings.MaxSubjectLength) is not null))
            throw new RegistryException(InvalidExporterSubjects, $"Invalid subjectRenameFormat '{Errors.Printable(rename)}'");
        var kekRename = string.IsNullOrEmpty(exporter.KekRenameFormat) ? null : exporter.KekRenameFormat;
        if (kekRename is not null)
        {
            try
            {
                ValidKekName(kekRename.Replace(ExportRoute.KekPlaceholder, "k", StringComparison.Ordinal));
            }
            catch (RegistryException)
            {
                throw new RegistryException(InvalidExporterConfig, $"Invalid kekRenameFormat '{Errors.Printable(kekRename)}'");
            }
        }
        var config = exporter.Config ?? ImmutableSortedDictionary<string, string>.Empty;
        if (!config.TryGetValue(ExportRoute.UrlKey, out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new RegistryException(InvalidExporterConfig, $"Missing or invalid exporter config: '{ExportRoute.UrlKey}' must be an http or https URL");
        // A URL is shown and logged as it is: credentials go in basic.auth.user.info, where they are sealed and masked.
        if (uri.UserInfo.Length > 0)
            throw new RegistryException(InvalidExporterConfig, $"Invalid exporter config: '{ExportRoute.UrlKey}' holds credentials; put them in basic.auth.user.info");
        return exporter with { ContextType = contextType, Context = context, Subjects = subjects, SubjectRenameFormat = rename, KekRenameFormat = kekRename, Config = config };
    }
}

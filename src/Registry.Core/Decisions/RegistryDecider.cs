using Registry.Core.Formats;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

/// <summary>
/// Decides commands against a snapshot: validation, compatibility and id allocation, turned into events.
/// Pure apart from the clock it is given; the same state and command always give the same decision.
/// </summary>
public sealed partial class RegistryDecider(SchemaFormats formats, RegistrySettings settings, TimeProvider time)
{
    // The config every lookup falls back to last, made once rather than per call.
    private readonly SubjectConfig _serverDefault = new(CompatibilityLevel: settings.DefaultCompatibility.ToName());

    public SchemaFormats Formats => formats;

    public RegistrySettings Settings => settings;

    /// <summary>Validates a subject name and returns its stored form; 42208 when refused.</summary>
    public string ValidSubject(string subject, bool allowContextScope = false)
    {
        var reason = QualifiedSubject.Validate(subject, settings.MaxSubjectLength, allowContextScope);
        if (reason is not null) throw Errors.InvalidSubjectError(subject, reason);
        return QualifiedSubject.Normalize(subject);
    }

    /// <summary>The config in force for a subject: subject, then its context, then <c>:.__GLOBAL:</c>, then the server default.</summary>
    public SubjectConfig EffectiveConfig(RegistryState state, string? subject)
    {
        // As Confluent: subject, then its context (the top-level config for the default context), then :.__GLOBAL:,
        // then the server default. A subject in another context never falls back to the default context's config.
        var config = _serverDefault;
        config = state.Configs.GetValueOrDefault(GlobalContextScope)?.Or(config) ?? config;
        var contextScope = subject is null ? RegistryState.GlobalScope : QualifiedSubject.Parse(subject).ContextScope;
        config = state.Configs.GetValueOrDefault(contextScope)?.Or(config) ?? config;
        if (subject is null || subject == contextScope) return config;
        return state.Configs.GetValueOrDefault(subject)?.Or(config) ?? config;
    }

    public CompatibilityLevel EffectiveLevel(RegistryState state, string? subject) =>
        CompatibilityLevels.TryParse(EffectiveConfig(state, subject).CompatibilityLevel, out var level) ? level : settings.DefaultCompatibility;

    /// <summary>The mode in force: subject, then context, then global, then <c>:.__GLOBAL:</c>, else READWRITE.</summary>
    public static RegistryMode EffectiveMode(RegistryState state, string? subject)
    {
        if (subject is not null)
        {
            if (state.Modes.TryGetValue(subject, out var mode)) return mode;
            var scope = QualifiedSubject.Parse(subject).ContextScope;
            if (scope.Length > 0 && state.Modes.TryGetValue(scope, out mode)) return mode;
        }
        if (state.Modes.TryGetValue(RegistryState.GlobalScope, out var global)) return global;
        return state.Modes.GetValueOrDefault(GlobalContextScope, RegistryMode.ReadWrite);
    }

    /// <summary>
    /// Resolves the references of a schema in <paramref name="context"/> transitively, dependencies first, with count
    /// and depth limits; iterative, so a deep chain cannot overflow the stack.
    /// </summary>
    public IReadOnlyList<ResolvedReference> ResolveReferences(RegistryState state, string context, IReadOnlyList<SchemaReference> references, bool allowDeleted)
    {
        if (references.Count == 0) return [];
        var ordered = new List<ResolvedReference>();
        var done = new HashSet<(string, int)>();
        var onPath = new HashSet<(string, int)>();
        var stack = new Stack<(SchemaReference Ref, ResolvedReference Resolved, bool Expanded, int Depth)>();
        foreach (var r in references.Reverse()) stack.Push((r, Resolve(state, context, r, allowDeleted), false, 1));
        while (stack.Count > 0)
        {
            var (r, resolved, expanded, depth) = stack.Pop();
            var key = (resolved.Subject, resolved.Version);
            if (expanded)
            {
                onPath.Remove(key);
                if (done.Add(key)) ordered.Add(resolved);
                continue;
            }
            if (done.Contains(key)) continue;
            if (onPath.Contains(key)) throw Errors.InvalidSchemaError($"Circular reference through subject '{resolved.Subject}' version {resolved.Version}");
            if (depth > settings.MaxReferenceDepth)
                throw Errors.InvalidSchemaError($"References are nested deeper than the limit of {settings.MaxReferenceDepth}");
            if (done.Count + onPath.Count >= settings.MaxReferences)
                throw Errors.InvalidSchemaError($"The schema uses more than the limit of {settings.MaxReferences} references");
            onPath.Add(key);
            stack.Push((r, resolved, true, depth));
            var holder = state.Schemas[ContextId.Of(resolved.Subject, resolved.Id)];
            foreach (var child in holder.References.Reverse())
                stack.Push((child, Resolve(state, holder.Context, child, allowDeleted: true), false, depth + 1));
        }
        // The direct references keep the names the referencing schema uses for them.
        return ordered;
    }

    private static ResolvedReference Resolve(RegistryState state, string context, SchemaReference r, bool allowDeleted)
    {
        if (string.IsNullOrEmpty(r.Name) || string.IsNullOrEmpty(r.Subject))
            throw Errors.InvalidSchemaError("A reference needs a name and a subject");
        var subjectName = QualifiedSubject.QualifyIn(context, r.Subject);
        SubjectVersion? version = null;
        if (state.Subjects.TryGetValue(subjectName, out var subject))
            version = r.Version == -1 ? subject.Latest(allowDeleted) : subject.Versions.GetValueOrDefault(r.Version);
        if (version is null || (version.Deleted && !allowDeleted))
            throw Errors.MissingReferenceError(r.Name, r.Subject, r.Version);
        var schema = state.SchemaOf(subjectName, version);
        return new ResolvedReference(r.Name, subjectName, version.Version, schema.Id, schema.SchemaType, schema.Schema);
    }

    /// <summary>Parses a stored schema (cached by the formats), resolving its references from the state.</summary>
    public ParsedSchema ParseStored(RegistryState state, StoredSchema schema) =>
        formats.Parse(schema.SchemaType, schema.Schema, ResolveReferences(state, schema.Context, schema.References, allowDeleted: true), normalize: false);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();
}

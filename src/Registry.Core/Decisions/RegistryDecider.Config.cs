using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>
    /// PUT /config[/{subject}]: members given replace the stored ones, members in <paramref name="cleared"/> (sent as
    /// null) are removed, the others are kept. Returns the resulting config of the scope, as Confluent answers.
    /// </summary>
    public Decision<SubjectConfig> SetConfig(RegistryState state, string? subject, SubjectConfig update, IReadOnlySet<string>? cleared = null)
    {
        var scope = Scope(subject);
        RefuseInReadOnly(state, scope);
        if (update.CompatibilityLevel is not null)
        {
            if (!CompatibilityLevels.TryParse(update.CompatibilityLevel, out var level)) throw Errors.InvalidCompatibilityLevelError();
            update = update with { CompatibilityLevel = level.ToName() };
        }
        if (update.CompatibilityPolicy is not null && update.CompatibilityPolicy.ToUpperInvariant() is not ("STRICT" or "LENIENT" or "LOGICAL"))
            throw new RegistryException(Errors.UnprocessableEntity, "Invalid compatibility policy. Valid values are STRICT, LENIENT and LOGICAL");
        RuleSetValidator.Validate(update.DefaultRuleSet);
        RuleSetValidator.Validate(update.OverrideRuleSet);
        var stored = (state.Configs.GetValueOrDefault(scope ?? RegistryState.GlobalScope) ?? new SubjectConfig()).With(update);
        if (cleared is { Count: > 0 }) stored = stored.Without(cleared);
        return new Decision<SubjectConfig>(stored, [new ConfigSet(scope, stored)]);
    }

    /// <summary>DELETE /config[/{subject}]: returns the config that was removed.</summary>
    public Decision<SubjectConfig> DeleteConfig(RegistryState state, string? subject)
    {
        var scope = Scope(subject);
        RefuseInReadOnly(state, scope);
        if (!state.Configs.TryGetValue(scope ?? RegistryState.GlobalScope, out var existing))
        {
            if (scope is not null) throw Errors.SubjectNotFoundError(scope);
            return Decision<SubjectConfig>.NoChange(EffectiveConfig(state, null));
        }
        return new Decision<SubjectConfig>(existing, [new ConfigCleared(scope)]);
    }

    /// <summary>
    /// PUT /mode[/{subject}]: IMPORT needs an empty scope unless forced; FORWARD only globally (or in <c>:.__GLOBAL:</c>);
    /// a null mode clears the scope's mode, as Confluent does. Returns the mode set, or null when cleared.
    /// </summary>
    public Decision<RegistryMode?> SetMode(RegistryState state, string? subject, string? modeName, bool force)
    {
        var scope = Scope(subject);
        if (modeName is null)
            return state.Modes.ContainsKey(scope ?? RegistryState.GlobalScope)
                ? new Decision<RegistryMode?>(null, [new ModeCleared(scope)])
                : Decision<RegistryMode?>.NoChange(null);
        if (!RegistryModes.TryParse(modeName, out var mode)) throw Errors.InvalidModeError();
        if (mode == RegistryMode.Forward && scope is not (null or GlobalContextScope))
            throw new RegistryException(Errors.InvalidMode, "Forward mode only supported on global level");
        if (mode == RegistryMode.Import && !force && EffectiveMode(state, scope) != RegistryMode.Import)
        {
            var inScope = state.Subjects.Values.Where(s => InScope(scope, s.Name)).ToList();
            if (inScope.Any(s => s.HasLive)) throw Errors.NotPermittedError("Cannot import since found existing subjects");
            // As Confluent: what is left in the scope (soft-deleted versions) is permanently deleted, so imported ids and versions cannot clash with it.
            var leftovers = inScope.SelectMany(s => s.Versions.Values.Reverse().Select(v => (RegistryEvent)new VersionHardDeleted(s.Name, v.Version)));
            return new Decision<RegistryMode?>(mode, [.. leftovers, new ModeSet(scope, mode)]);
        }
        return new Decision<RegistryMode?>(mode, [new ModeSet(scope, mode)]);
    }

    /// <summary>
    /// DELETE /mode[/{subject}]: returns the mode that was removed. With <paramref name="recursive"/> on the global
    /// scope or a context, the modes of every context and subject below are removed too.
    /// </summary>
    public Decision<RegistryMode> DeleteMode(RegistryState state, string? subject, bool recursive = false)
    {
        var scope = Scope(subject);
        var below = !recursive ? []
            : scope is null ? state.Modes.Keys.Where(k => k != RegistryState.GlobalScope).ToList()
            : QualifiedSubject.Parse(scope).IsContextScope
                ? state.Modes.Keys.Where(k => k != scope && k.Length > 0 && QualifiedSubject.Parse(k).ContextScope == scope).ToList()
                : [];
        var events = below.Select(k => (RegistryEvent)new ModeCleared(k)).ToList();
        if (!state.Modes.TryGetValue(scope ?? RegistryState.GlobalScope, out var existing))
        {
            if (scope is not null && events.Count == 0) throw Errors.SubjectNotFoundError(scope);
            return new Decision<RegistryMode>(EffectiveMode(state, scope), [.. events]);
        }
        events.Add(new ModeCleared(scope));
        return new Decision<RegistryMode>(existing, [.. events]);
    }

    /// <summary>DELETE /contexts/{context}: refused (42211) while any subject of the context remains, soft-deleted ones too.</summary>
    public Decision<bool> DeleteContext(RegistryState state, string context)
    {
        var name = context.Trim(':');
        if (name is "" or ".") throw Errors.NotPermittedError("The default context cannot be deleted");
        if (!name.StartsWith('.')) name = "." + name;
        var scope = ValidSubject($":{name}:", allowContextScope: true);
        if (state.Subjects.Keys.Any(s => InScope(scope, s)))
            throw new RegistryException(Errors.ContextNotEmpty, $"Context {name} is not empty");
        var events = new List<RegistryEvent>();
        if (state.Configs.ContainsKey(scope)) events.Add(new ConfigCleared(scope));
        if (state.Modes.ContainsKey(scope)) events.Add(new ModeCleared(scope));
        return new Decision<bool>(true, [.. events]);
    }

    /// <summary>The context that holds the registry-wide fallback for config and mode.</summary>
    public const string GlobalContextScope = ":.__GLOBAL:";

    /// <summary>READONLY and READONLY_OVERRIDE also freeze a subject's config, as in Confluent.</summary>
    private static void RefuseInReadOnly(RegistryState state, string? scope)
    {
        if (scope is not null && !QualifiedSubject.Parse(scope).IsContextScope) RequireWritable(state, scope);
    }

    /// <summary>Whether a subject lies in a scope: everything (null), a context (<c>:.ctx:</c>), or the subject itself.</summary>
    private static bool InScope(string? scope, string subject) =>
        scope is null || (QualifiedSubject.Parse(scope).IsContextScope ? QualifiedSubject.Parse(subject).ContextScope == scope : subject == scope);

    /// <summary>The stored scope of a subject path: null for global (also for the default context <c>:.:</c>).</summary>
    public string? Scope(string? subject)
    {
        if (subject is null) return null;
        var valid = ValidSubject(subject, allowContextScope: true);
        return valid.Length == 0 ? null : valid;
    }
}

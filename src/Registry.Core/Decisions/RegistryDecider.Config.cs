using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>PUT /config[/{subject}]: members given replace the stored ones; the others are kept.</summary>
    public Decision<SubjectConfig> SetConfig(RegistryState state, string? subject, SubjectConfig update)
    {
        var scope = Scope(subject);
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
        return new Decision<SubjectConfig>(update, [new ConfigSet(scope, stored)]);
    }

    /// <summary>DELETE /config[/{subject}]: returns the config that was removed.</summary>
    public Decision<SubjectConfig> DeleteConfig(RegistryState state, string? subject)
    {
        var scope = Scope(subject);
        if (!state.Configs.TryGetValue(scope ?? RegistryState.GlobalScope, out var existing))
        {
            if (scope is not null) throw Errors.SubjectNotFoundError(scope);
            return Decision<SubjectConfig>.NoChange(EffectiveConfig(state, null));
        }
        return new Decision<SubjectConfig>(existing, [new ConfigCleared(scope)]);
    }

    /// <summary>PUT /mode[/{subject}]: IMPORT needs an empty scope unless forced; FORWARD only globally.</summary>
    public Decision<RegistryMode> SetMode(RegistryState state, string? subject, string? modeName, bool force)
    {
        var scope = Scope(subject);
        if (!RegistryModes.TryParse(modeName, out var mode)) throw Errors.InvalidModeError();
        if (mode == RegistryMode.Forward && scope is not null)
            throw new RegistryException(Errors.InvalidMode, "Forward mode only supported on global level");
        if (mode == RegistryMode.Import && !force && EffectiveMode(state, scope) != RegistryMode.Import)
        {
            var hasLive = scope is null
                ? state.Subjects.Values.Any(s => s.HasLive)
                : QualifiedSubject.Parse(scope).IsContextScope
                    ? state.Subjects.Values.Any(s => s.HasLive && QualifiedSubject.Parse(s.Name).ContextScope == scope)
                    : state.Subjects.GetValueOrDefault(scope)?.HasLive == true;
            if (hasLive) throw Errors.NotPermittedError("Cannot import since found existing subjects");
        }
        return new Decision<RegistryMode>(mode, [new ModeSet(scope, mode)]);
    }

    /// <summary>DELETE /mode[/{subject}]: returns the mode that was removed.</summary>
    public Decision<RegistryMode> DeleteMode(RegistryState state, string? subject)
    {
        var scope = Scope(subject);
        if (!state.Modes.TryGetValue(scope ?? RegistryState.GlobalScope, out var existing))
        {
            if (scope is not null) throw Errors.SubjectNotFoundError(scope);
            return Decision<RegistryMode>.NoChange(RegistryMode.ReadWrite);
        }
        return new Decision<RegistryMode>(existing, [new ModeCleared(scope)]);
    }

    /// <summary>The stored scope of a subject path: null for global (also for the default context <c>:.:</c>).</summary>
    public string? Scope(string? subject)
    {
        if (subject is null) return null;
        var valid = ValidSubject(subject, allowContextScope: true);
        return valid.Length == 0 ? null : valid;
    }
}

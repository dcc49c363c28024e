using Registry.Core.Model;

namespace Registry.Core.Decisions;

/// <summary>Confluent's RuleSet.validate: names, types, modes and actions; 42210 on the first problem.</summary>
public static class RuleSetValidator
{
    private static readonly HashSet<string> Kinds = ["TRANSFORM", "CONDITION"];
    private static readonly HashSet<string> MigrationModes = ["UPGRADE", "DOWNGRADE", "UPDOWN"];
    private static readonly HashSet<string> DomainModes = ["WRITE", "READ", "WRITEREAD"];

    public static void Validate(RuleSet? ruleSet)
    {
        if (ruleSet is null) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in ruleSet.MigrationRules ?? []) ValidateRule(rule, names, MigrationModes, "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN");
        foreach (var rule in ruleSet.DomainRules ?? []) ValidateRule(rule, names, DomainModes, "Domain rules can only be WRITE, READ, WRITEREAD");
        foreach (var rule in ruleSet.EncodingRules ?? []) ValidateRule(rule, names, DomainModes, "Encoding rules can only be WRITE, READ, WRITEREAD");
    }

    private static void ValidateRule(Rule rule, HashSet<string> names, HashSet<string> modes, string modeMessage)
    {
        var name = rule.Name;
        if (string.IsNullOrEmpty(name)) throw Errors.InvalidRuleSetError("Missing rule name");
        if (name.Length > 256) throw Errors.InvalidRuleSetError("Rule name too long");
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw Errors.InvalidRuleSetError($"Illegal initial character or character in rule name: {Errors.Printable(name)}");
        if (!names.Add(name)) throw Errors.InvalidRuleSetError($"Found rule with duplicate name '{name}'");
        if (string.IsNullOrEmpty(rule.Type)) throw Errors.InvalidRuleSetError("Missing rule type");
        if (rule.Kind is not null && !Kinds.Contains(rule.Kind)) throw Errors.InvalidRuleSetError($"Invalid rule kind: {Errors.Printable(rule.Kind)}");
        var mode = rule.Mode ?? "WRITEREAD";
        if (!modes.Contains(mode)) throw Errors.InvalidRuleSetError(modeMessage);
        if (mode is not ("WRITEREAD" or "UPDOWN") && ((rule.OnSuccess?.Contains(',') ?? false) || (rule.OnFailure?.Contains(',') ?? false)))
            throw Errors.InvalidRuleSetError("Multiple actions only valid with WRITEREAD and UPDOWN");
    }
}

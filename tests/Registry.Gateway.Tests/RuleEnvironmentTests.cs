using System.Collections.Immutable;
using Registry.Core.Model;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Tests;

/// <summary><c>ruleSet.enableAt</c>: the gateway runs the rules enabled for it, and demands ciphertext only where producers encrypt.</summary>
public sealed class RuleEnvironmentTests
{
    private const string Schema = """{"type":"record","name":"P","fields":[{"name":"ssn","type":"string","confluent:tags":["PII"]}]}""";

    private static RuleSet Rules(string? enableAt) => new(null,
    [
        new Rule("positive", null, "CONDITION", "WRITE", "CEL", null, null, "message.ssn != ''", null, null, false),
        new Rule("encrypt", null, "TRANSFORM", "WRITEREAD", "ENCRYPT", ImmutableSortedSet.Create("PII"), null, null, null, null, false),
    ], null, enableAt);

    [Theory]
    [InlineData(null, true, true)]
    [InlineData("ALL", true, true)]
    [InlineData("GATEWAY", true, false)]
    [InlineData("gateway", true, false)]
    [InlineData("CLIENT", false, true)]
    [InlineData("SERVER", false, false)]
    [InlineData("NONE", false, false)]
    public void Conditions_run_where_enabled_for_the_gateway_and_encryption_is_required_where_clients_run_rules(string? enableAt, bool gatewayRuns, bool clientsEncrypt)
    {
        var schema = new KnownSchema(1, "AVRO", Schema, [], Rules(enableAt), new HashSet<string> { "p-value" });
        Assert.Equal(gatewayRuns ? ["positive"] : [], schema.Conditions.Select(c => c.Rule.Name));
        Assert.Equal(clientsEncrypt ? ["ssn"] : [], schema.EncryptedFields.Select(f => string.Join('.', f.Path)));
    }
}

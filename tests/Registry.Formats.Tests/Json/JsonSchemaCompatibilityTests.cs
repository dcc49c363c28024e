using Registry.Formats.Json;

namespace Registry.Formats.Tests.Json;

/// <summary>BACKWARD verdicts Confluent's RestApi JSON Schema tests pin down beyond the diff vectors.</summary>
public sealed class JsonSchemaCompatibilityTests
{
    private static readonly JsonSchemaFormat Format = new(new FormatLimits());

    private static bool Compatible(string original, string update) =>
        JsonSchemaFormat.Differences(Format.Parse(original, [], normalize: false), Format.Parse(update, [], normalize: false), lenient: false)
            .All(d => JsonSchemaFormat.IsCompatibleChange(d.Split(' ')[0], lenient: false));

    [Theory]
    // A schema that accepts everything is a compatible reader of anything.
    [InlineData("""{"properties":{}}""", "{}", true)]
    [InlineData("""{"type":"string"}""", "true", true)]
    [InlineData("{}", """{"type":"string"}""", false)]
    // A single subschema is the schema itself: one of it and more is a wider sum.
    [InlineData("""{"anyOf":[{"type":"string"}]}""", """{"oneOf":[{"type":"number"},{"type":"string"}]}""", true)]
    [InlineData("""{"allOf":[{"type":"string"}]}""", """{"oneOf":[{"type":"string"}]}""", true)]
    [InlineData("""{"allOf":[{"type":"string"},{"maxLength":3}]}""", """{"oneOf":[{"type":"string"},{"type":"number"}]}""", false)]
    [InlineData("""{"anyOf":[{"type":"string"},{"type":"number"}]}""", """{"oneOf":[{"type":"number"},{"type":"string"}]}""", false)]
    public void Backward_verdicts_match_Confluent(string original, string update, bool compatible) =>
        Assert.Equal(compatible, Compatible(original, update));
}

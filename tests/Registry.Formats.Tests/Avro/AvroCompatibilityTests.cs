using Registry.Core.Model;
using static Registry.Formats.Tests.Avro.AvroFixture;
using static Registry.Formats.Tests.Avro.AvroSchemas;

namespace Registry.Formats.Tests.Avro;

/// <summary>Confluent's AvroCompatibilityTest cases, by level: compatible and incompatible side by side.</summary>
public sealed class AvroCompatibilityTests
{
    [Fact]
    public void Backward_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.Backward, S2, S1), "adding a field with a default");
        Assert.False(IsCompatible(CompatibilityLevel.Backward, S3, S1), "adding a field without a default");
        Assert.True(IsCompatible(CompatibilityLevel.Backward, S4, S1), "renaming a field with an alias");
        Assert.True(IsCompatible(CompatibilityLevel.Backward, S6, S1), "type to union");
        Assert.False(IsCompatible(CompatibilityLevel.Backward, S1, S6), "union to type");
        Assert.True(IsCompatible(CompatibilityLevel.Backward, S7, S6), "adding a union branch");
        Assert.False(IsCompatible(CompatibilityLevel.Backward, S6, S7), "removing a union branch");
        Assert.True(IsCompatible(CompatibilityLevel.Backward, S3, S1, S2), "only the latest is checked");
    }

    [Fact]
    public void Backward_transitive_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.BackwardTransitive, S8, S1, S2));
        Assert.True(IsCompatible(CompatibilityLevel.BackwardTransitive, S2, S1));
        Assert.True(IsCompatible(CompatibilityLevel.BackwardTransitive, S3, S2));
        Assert.False(IsCompatible(CompatibilityLevel.BackwardTransitive, S3, S2, S1));
    }

    [Fact]
    public void Forward_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.Forward, S2, S1));
        Assert.True(IsCompatible(CompatibilityLevel.Forward, S3, S1));
        Assert.True(IsCompatible(CompatibilityLevel.Forward, S3, S2));
        Assert.True(IsCompatible(CompatibilityLevel.Forward, S2, S3));
        Assert.True(IsCompatible(CompatibilityLevel.Forward, S1, S3, S2));
    }

    [Fact]
    public void Forward_transitive_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.ForwardTransitive, S1, S8, S2));
        Assert.True(IsCompatible(CompatibilityLevel.ForwardTransitive, S2, S3));
        Assert.True(IsCompatible(CompatibilityLevel.ForwardTransitive, S1, S2));
        Assert.False(IsCompatible(CompatibilityLevel.ForwardTransitive, S1, S2, S3));
    }

    [Fact]
    public void Full_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.Full, S2, S1));
        Assert.True(IsCompatible(CompatibilityLevel.Full, S3, S1, S2));
        Assert.True(IsCompatible(CompatibilityLevel.Full, S1, S3, S2));
    }

    [Fact]
    public void Full_transitive_cases_match_Confluent()
    {
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S8, S1, S2));
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S1, S8, S2));
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S2, S3));
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S1, S2));
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S2, S1));
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, S3, S2));
        Assert.False(IsCompatible(CompatibilityLevel.FullTransitive, S3, S2, S1));
        Assert.False(IsCompatible(CompatibilityLevel.FullTransitive, S1, S2, S3));
    }

    [Fact]
    public void A_union_default_of_the_wrong_type_still_parses_as_in_Confluent() =>
        Assert.NotNull(Parse(BadDefaultNull));

    [Theory]
    [InlineData("int", "long", true)]
    [InlineData("long", "float", true)]
    [InlineData("float", "double", true)]
    [InlineData("int", "double", true)]
    [InlineData("string", "bytes", true)]
    [InlineData("bytes", "string", true)]
    [InlineData("long", "int", false)]
    [InlineData("double", "float", false)]
    [InlineData("string", "int", false)]
    public void Promotions_follow_the_Avro_specification(string writer, string reader, bool compatible)
    {
        var w = Parse($$"""{"type":"record","name":"r","fields":[{"name":"f","type":"{{writer}}"}]}""");
        var r = Parse($$"""{"type":"record","name":"r","fields":[{"name":"f","type":"{{reader}}"}]}""");
        Assert.Equal(compatible, Format.CheckCompatibility(r, w, "new", "old").Count == 0);
    }

    [Fact]
    public void A_type_change_names_the_path_and_the_rule()
    {
        var messages = Format.CheckCompatibility(
            Parse("""{"type":"record","name":"r","fields":[{"name":"f","type":"int"}]}"""),
            Parse("""{"type":"record","name":"r","fields":[{"name":"f","type":"string"}]}"""), "new", "old");
        var message = Assert.Single(messages);
        Assert.Equal("{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}", message);
    }

    [Fact]
    public void Removing_an_enum_symbol_needs_a_reader_default()
    {
        const string ab = """{"type":"enum","name":"E","symbols":["A","B"]}""";
        const string a = """{"type":"enum","name":"E","symbols":["A"]}""";
        const string aWithDefault = """{"type":"enum","name":"E","symbols":["A"],"default":"A"}""";
        Assert.Contains("MISSING_ENUM_SYMBOLS", Assert.Single(Format.CheckCompatibility(Parse(a), Parse(ab), "new", "old")));
        Assert.Empty(Format.CheckCompatibility(Parse(aWithDefault), Parse(ab), "new", "old"));
    }

    [Fact]
    public void Fixed_sizes_and_names_must_match()
    {
        Assert.Contains("FIXED_SIZE_MISMATCH", Assert.Single(Format.CheckCompatibility(
            Parse("""{"type":"fixed","name":"F","size":8}"""), Parse("""{"type":"fixed","name":"F","size":4}"""), "new", "old")));
        Assert.Contains("NAME_MISMATCH", Assert.Single(Format.CheckCompatibility(
            Parse("""{"type":"fixed","name":"G","size":4}"""), Parse("""{"type":"fixed","name":"F","size":4}"""), "new", "old")));
        Assert.Empty(Format.CheckCompatibility(
            Parse("""{"type":"fixed","name":"G","aliases":["F"],"size":4}"""), Parse("""{"type":"fixed","name":"F","size":4}"""), "new", "old"));
    }

    [Fact]
    public void Nested_records_are_compared_field_by_field()
    {
        const string v1 = """{"type":"record","name":"Outer","fields":[{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":"int"}]}}]}""";
        const string v2 = """{"type":"record","name":"Outer","fields":[{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}}]}""";
        var message = Assert.Single(Format.CheckCompatibility(Parse(v2), Parse(v1), "new", "old"));
        Assert.Contains("READER_FIELD_MISSING_DEFAULT_VALUE", message);
        Assert.Contains("/fields/0/type/fields/1", message);
    }

    [Fact]
    public void Logical_types_are_compared_by_their_underlying_type()
    {
        Assert.True(IsCompatible(CompatibilityLevel.Full,
            """{"type":"record","name":"r","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}}]}""",
            """{"type":"record","name":"r","fields":[{"name":"t","type":"long"}]}"""));
    }

    [Fact]
    public void Recursive_records_terminate_and_are_compatible_with_themselves()
    {
        const string list = """{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"],"default":null}]}""";
        Assert.True(IsCompatible(CompatibilityLevel.FullTransitive, list, list));
    }
}

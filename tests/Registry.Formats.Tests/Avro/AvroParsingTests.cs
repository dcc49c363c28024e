using Registry.Core;
using Registry.Core.Model;
using static Registry.Formats.Tests.Avro.AvroFixture;

namespace Registry.Formats.Tests.Avro;

public sealed class AvroParsingTests
{
    [Fact]
    public void Whitespace_does_not_change_the_canonical_form() =>
        Assert.Equal(Parse("""{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}""").Canonical,
            Parse("""{ "type" : "record",  "name":"r", "fields": [ {"name":"a", "type":"int"} ] }""").Canonical);

    [Theory]
    [InlineData("""{"fields":[{"type":"string","name":"f","order":"ascending"}],"name":"r","type":"record","doc":"d"}""", """{"type":"record","name":"r","doc":"d","fields":[{"name":"f","type":"string"}]}""")]
    [InlineData("""{"type":"record","name":"r","fields":[{"name":"f","type":{"type":"int"},"default":1,"order":"descending","x-prop":true,"doc":"a"}],"aliases":["q"],"owner":"team"}""",
        """{"type":"record","name":"r","fields":[{"name":"f","type":"int","doc":"a","default":1,"order":"descending","x-prop":true}],"owner":"team","aliases":["q"]}""")]
    [InlineData("""{"type":"long","logicalType":"timestamp-millis"}""", """{"type":"long","logicalType":"timestamp-millis"}""")]
    [InlineData("""{"type":"int"}""", "\"int\"")]
    [InlineData("""{"type":"record","name":"a.b.R","fields":[{"name":"x","type":{"symbols":["A"],"name":"E","type":"enum","default":"A"}},{"name":"y","type":"a.b.E"},{"name":"z","type":{"items":"E","type":"array"}}]}""",
        """{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["A"],"default":"A"}},{"name":"y","type":"E"},{"name":"z","type":{"type":"array","items":"E"}}]}""")]
    [InlineData("""{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":{"type":"fixed","size":4,"name":"F","namespace":"b"}},{"name":"g","type":"b.F"}]}""",
        """{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":{"type":"fixed","name":"F","namespace":"b","size":4}},{"name":"g","type":"b.F"}]}""")]
    public void The_stored_text_is_Avros_printing(string sent, string stored)
    {
        var parsed = Parse(sent);
        Assert.Equal(stored, parsed.Canonical);
        Assert.Equal(stored, Parse(stored).Canonical);
        Assert.Equal(Parse(sent, normalize: true).Canonical, Parse(stored, normalize: true).Canonical);
    }

    [Fact]
    public void A_nested_namespace_that_repeats_the_inherited_one_is_the_same_schema()
    {
        const string inherited = """{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"line","type":{"type":"record","name":"Line","fields":[{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A"]}}]}},{"name":"lines","type":{"type":"array","items":"Line"}}]}""";
        const string explicitly = """{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"line","type":{"type":"record","name":"Line","namespace":"shop","fields":[{"name":"kind","type":{"type":"enum","name":"Kind","namespace":"shop","symbols":["A"]}}]}},{"name":"lines","type":{"type":"array","items":"Line"}}]}""";
        Assert.Equal(inherited, Parse(inherited).Canonical);
        Assert.Null(Parse(inherited).LegacyCanonical);
        Assert.Equal(inherited, Parse(explicitly).Canonical);
        // What earlier versions stored for it stays the same schema, and another namespace stays another schema.
        Assert.Equal(explicitly, Parse(explicitly).LegacyCanonical);
        Assert.NotEqual(inherited, Parse(explicitly.Replace("\"name\":\"Kind\",\"namespace\":\"shop\"", "\"name\":\"Kind\",\"namespace\":\"other\"", StringComparison.Ordinal)).Canonical);
    }

    [Fact]
    public void Normalization_uses_full_names_and_a_fixed_attribute_order()
    {
        var a = Parse("""{"namespace":"com.acme","name":"r","type":"record","fields":[{"type":{"type":"int"},"name":"a"}]}""", normalize: true);
        var b = Parse("""{"type":"record","name":"com.acme.r","fields":[{"name":"a","type":"int"}]}""", normalize: true);
        Assert.Equal("""{"type":"record","name":"com.acme.r","fields":[{"name":"a","type":"int"}]}""", a.Canonical);
        Assert.Equal(a.Canonical, b.Canonical);
    }

    [Fact]
    public void Normalization_is_idempotent()
    {
        var once = Parse("""{"type":"record","name":"r","namespace":"n","aliases":["z","y"],"fields":[{"name":"a","type":{"type":"enum","name":"E","symbols":["X"]},"default":"X"},{"name":"b","type":["null","E"]}],"zprop":1,"aprop":2}""", normalize: true).Canonical;
        Assert.Equal(once, Parse(once, normalize: true).Canonical);
    }

    [Theory]
    [InlineData("""{"type":"record","name":"r","fields":[{"name":"a","type":"Missing"}]}""", "Missing")]
    [InlineData("""{"type":"recrod","name":"r"}""", "recrod")]
    [InlineData("""{"type":"record","name":"r","fields":[{"name":"a","type":"int"}""", "not valid JSON")]
    [InlineData("""{"type":"enum","name":"E","symbols":["A","A"]}""", "")]
    public void Invalid_schemas_are_42201_with_the_parsers_reason(string schema, string reason)
    {
        var e = Assert.Throws<RegistryException>(() => Parse(schema));
        Assert.Equal(Errors.InvalidSchema, e.ErrorCode);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_without_recursing()
    {
        var deep = "\"int\"";
        for (var i = 0; i < 5000; i++) deep = "{\"type\":\"array\",\"items\":" + deep + "}";
        var e = Assert.Throws<RegistryException>(() => Parse(deep));
        Assert.Equal(Errors.InvalidSchema, e.ErrorCode);
        Assert.Contains("deeper than the limit", e.Message);
    }

    [Fact]
    public void Named_types_from_references_are_used_not_inlined()
    {
        const string address = """{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}""";
        var parsed = Format.Parse("""{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"Address"}]}""",
            [new Core.Formats.ResolvedReference("acme.Address", "address", 1, 1, "AVRO", address)], normalize: true);
        Assert.Equal("""{"type":"record","name":"acme.Person","fields":[{"name":"home","type":"acme.Address"}]}""", parsed.Canonical);
    }

    [Fact]
    public void Compatibility_is_reflexive_for_every_level()
    {
        const string s = """{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"map","values":{"type":"array","items":"long"}}},{"name":"b","type":{"type":"fixed","name":"F","size":16}}]}""";
        foreach (var level in Enum.GetValues<CompatibilityLevel>()) Assert.True(IsCompatible(level, s, s), level.ToString());
    }
}

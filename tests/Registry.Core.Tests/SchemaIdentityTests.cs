using System.Text.Json;
using Registry.Core.Model;
using Registry.Testing;

namespace Registry.Core.Tests;

/// <summary>Confluent's GUID/MD5 golden vectors (shared/conformance/guid): 24 cases over schema, references, metadata and rules.</summary>
public sealed class SchemaIdentityTests
{
    private static string VectorFile => Conformance.Path("guid", "schema-md5-golden-data.json");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        if (Conformance.Root is null)
        {
            data.Add("", "");
            return data;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorFile));
        foreach (var type in doc.RootElement.GetProperty("expectedHashes").EnumerateObject())
            foreach (var bits in type.Value.EnumerateObject())
                data.Add(type.Name, bits.Name);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void The_guid_matches_Confluents_golden_vector(string schemaType, string bits)
    {
        Skip.If(Conformance.Root is null, Conformance.Missing);
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorFile));
        var root = doc.RootElement;
        var schema = root.GetProperty("schemas").GetProperty(schemaType.ToLowerInvariant()).GetString()!;
        var references = bits[0] == '1' ? root.GetProperty("references").Deserialize<List<SchemaReference>>(CanonicalJson.Options)! : [];
        var metadata = bits[1] == '1' ? root.GetProperty("metadata").Deserialize<Metadata>(CanonicalJson.Options) : null;
        var rules = bits[2] == '1' ? root.GetProperty("rules").Deserialize<RuleSet>(CanonicalJson.Options) : null;
        var (guid, _) = SchemaIdentity.Compute(schemaType, schema, references, metadata, rules);
        Assert.Equal(root.GetProperty("expectedHashes").GetProperty(schemaType).GetProperty(bits).GetString(), SchemaIdentity.GuidString(guid));
    }

    [Fact]
    public void The_identity_does_not_depend_on_what_the_thread_hashed_before()
    {
        // The hashed bytes go through a per-thread buffer, kept when small and dropped when grown past 64 KiB.
        var small = SchemaIdentity.Compute("AVRO", "\"int\"", [], null, null);
        var large = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[" + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"\"S{i}\"")) + "]}";
        var first = SchemaIdentity.Compute("AVRO", large, [new SchemaReference("r", "s", 1)], null, null);
        Assert.Equal(small, SchemaIdentity.Compute("AVRO", "\"int\"", [], null, null));
        Assert.Equal(first, SchemaIdentity.Compute("AVRO", large, [new SchemaReference("r", "s", 1)], null, null));
        Assert.NotEqual(first, SchemaIdentity.Compute("AVRO", large, [new SchemaReference("r", "s", 2)], null, null));
        Assert.Equal(small, SchemaIdentity.Compute("AVRO", "\"int\"", [], null, null));
    }

    [Fact]
    public void Metadata_changes_the_identity_key()
    {
        var plain = SchemaIdentity.Compute("AVRO", "\"int\"", [], null, null).Key;
        var tagged = SchemaIdentity.Compute("AVRO", "\"int\"", [], new Metadata(null, System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("a", "b"), null), null).Key;
        Assert.NotEqual(plain, tagged);
    }
}

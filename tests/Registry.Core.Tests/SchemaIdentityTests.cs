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

/// <summary>The identity of a schema sent alone is hashed once per parse and kept with it; one sent with more is hashed as sent.</summary>
public sealed class CandidateIdentityTests
{
    private static readonly Registry.Core.Decisions.RegistryDecider Decider = new(Registry.Formats.FormatCatalog.Create(new Registry.Formats.FormatLimits()), new Registry.Core.Decisions.RegistrySettings(), TimeProvider.System);

    private static Registry.Core.Decisions.RegistryDecider.Candidate Prepare(Metadata? metadata = null) =>
        Decider.Prepare(Registry.Core.State.RegistryState.Empty, "orders", new Registry.Core.Decisions.SchemaInput("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}", "AVRO", null, metadata, null),
            normalize: false, mergeContract: false, allowDeletedReferences: false);

    [Fact]
    public void A_schema_sent_alone_keeps_the_identity_its_canonical_text_hashes_to()
    {
        var first = Prepare();
        var (guid, key) = SchemaIdentity.Compute("AVRO", first.Parsed.Canonical, [], null, null);
        Assert.Equal((guid, key), (first.Guid, first.IdentityKey));
        var again = Prepare();
        Assert.Same(first.Parsed, again.Parsed);
        Assert.Same(first.Parsed.IdentityAlone, again.Parsed.IdentityAlone);
        Assert.Equal((guid, key), (again.Guid, again.IdentityKey));
    }

    [Fact]
    public void The_same_parse_sent_with_metadata_is_hashed_with_it()
    {
        var plain = Prepare();
        var metadata = new Metadata(null, System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("owner", "team-a"), null);
        var tagged = Prepare(metadata);
        Assert.Same(plain.Parsed, tagged.Parsed);
        Assert.Equal(SchemaIdentity.Compute("AVRO", plain.Parsed.Canonical, [], metadata, null), (tagged.Guid, tagged.IdentityKey));
        Assert.NotEqual(plain.IdentityKey, tagged.IdentityKey);
        Assert.Equal(plain.IdentityKey, Prepare().IdentityKey);
    }
}

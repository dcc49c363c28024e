using System.Text.Json;
using Registry.Core.Formats;
using Registry.Formats.Protobuf;
using Registry.Testing;
using Xunit.Abstractions;

namespace Registry.Formats.Tests.Protobuf;

/// <summary>Confluent's Protobuf diff vectors: the BACKWARD verdict must match; the exact changes are counted.</summary>
public sealed class ProtobufConformanceTests(ITestOutputHelper output)
{
    private static readonly ProtobufFormat Format = new(new FormatLimits());

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        if (Conformance.Root is null)
        {
            data.Add(-1);
            return data;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("protobuf", "diff.json")));
        for (var i = 0; i < doc.RootElement.GetArrayLength(); i++) data.Add(i);
        return data;
    }

    private static (IReadOnlyList<string> Changes, bool Expected, List<string> Actual, string Description) Run(JsonElement c)
    {
        var original = Parse(c, "original");
        var update = Parse(c, "update");
        var actual = ProtobufFormat.Differences(original, update).ToList();
        var expected = c.GetProperty("changes").EnumerateArray().Select(x => x.GetString()!).ToList();
        return (expected, c.GetProperty("compatible").GetBoolean(), actual, c.GetProperty("description").GetString()!);
    }

    private static ParsedSchema Parse(JsonElement c, string side)
    {
        var references = new List<ResolvedReference>();
        if (c.TryGetProperty(side + "_dependencies", out var dependencies))
            foreach (var d in dependencies.EnumerateArray())
                references.Add(new ResolvedReference(d.GetProperty("name").GetString()!, d.GetProperty("name").GetString()!, 1, 1000 + references.Count, "PROTOBUF", d.GetProperty("dependency").GetString()!));
        return Format.Parse(c.GetProperty(side + "_schema").GetString()!, references, normalize: false);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void The_verdict_matches_Confluent(int index)
    {
        Skip.If(Conformance.Root is null, Conformance.Missing);
        using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("protobuf", "diff.json")));
        var (expected, compatible, actual, description) = Run(doc.RootElement[index]);
        output.WriteLine($"{description}\nexpected: {string.Join(", ", expected)}\nactual:   {string.Join(", ", actual)}");
        var found = actual.All(d => ProtobufDiff.Compatible.Contains(d.Split(' ')[0]));
        Assert.True(compatible == found, $"{description}: expected compatible={compatible}, found [{string.Join(", ", actual)}]");
    }

    [SkippableFact]
    public void The_reported_differences_match_Confluent_in_almost_every_case()
    {
        Skip.If(Conformance.Root is null, Conformance.Missing);
        using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("protobuf", "diff.json")));
        var exact = 0;
        var total = doc.RootElement.GetArrayLength();
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var (expected, _, actual, description) = Run(c);
            if (expected.Order(StringComparer.Ordinal).SequenceEqual(actual.Order(StringComparer.Ordinal))) exact++;
            else output.WriteLine($"{description}\n  expected {string.Join(", ", expected)}\n  actual   {string.Join(", ", actual)}");
        }
        output.WriteLine($"{exact} of {total} cases report exactly Confluent's differences");
        Assert.True(exact >= total * 95 / 100, $"only {exact} of {total} cases match exactly");
    }
}

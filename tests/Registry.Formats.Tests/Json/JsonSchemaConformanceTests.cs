using System.Text.Json;
using Registry.Formats.Json;
using Registry.Testing;
using Xunit.Abstractions;

namespace Registry.Formats.Tests.Json;

/// <summary>Confluent's JSON Schema diff vectors: the BACKWARD verdict must match; the exact changes are reported.</summary>
public sealed class JsonSchemaConformanceTests(ITestOutputHelper output)
{
    private static readonly JsonSchemaFormat Format = new(new FormatLimits());

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        if (Conformance.Root is null)
        {
            data.Add("", -1);
            return data;
        }
        foreach (var file in new[] { "diff-draft07.json", "diff-2020-12.json", "diff-combined-draft07.json", "diff-combined-2020-12.json" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("json-schema", file)));
            for (var i = 0; i < doc.RootElement.GetArrayLength(); i++) data.Add(file, i);
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void The_verdict_matches_Confluent(string file, int index)
    {
        Skip.If(Conformance.Root is null, Conformance.Missing);
        using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("json-schema", file)));
        var c = doc.RootElement[index];
        var original = Format.Parse(c.GetProperty("original_schema").GetRawText(), [], normalize: false);
        var update = Format.Parse(c.GetProperty("update_schema").GetRawText(), [], normalize: false);
        var expectedChanges = c.GetProperty("changes").EnumerateArray().Select(x => x.GetString()!).ToList();
        var strict = JsonSchemaFormat.Differences(original, update, lenient: false);
        var description = c.GetProperty("description").GetString();
        output.WriteLine($"{description}\nexpected: {string.Join(", ", expectedChanges)}\nactual:   {string.Join(", ", strict)}");

        var compatible = strict.All(d => JsonSchemaFormat.IsCompatibleChange(d.Split(' ')[0], lenient: false));
        Assert.True(c.GetProperty("compatible").GetBoolean() == compatible, $"{description}: expected compatible={c.GetProperty("compatible").GetBoolean()}, found [{string.Join(", ", strict)}]");
        if (c.TryGetProperty("compatible_lenient", out var lenientVerdict))
        {
            var lenient = JsonSchemaFormat.Differences(original, update, lenient: true).All(d => JsonSchemaFormat.IsCompatibleChange(d.Split(' ')[0], lenient: true));
            Assert.Equal(lenientVerdict.GetBoolean(), lenient);
        }
    }

    /// <summary>
    /// The exact differences (as sets) are the strict bar. A few 2020-12 cases differ where Confluent's
    /// 2020-12 loader drops annotations ($id) and removed min/maxProperties; the count may only go up.
    /// </summary>
    [SkippableFact]
    public void The_reported_differences_match_Confluent_in_almost_every_case()
    {
        Skip.If(Conformance.Root is null, Conformance.Missing);
        var total = 0;
        var exact = 0;
        foreach (var file in new[] { "diff-draft07.json", "diff-2020-12.json", "diff-combined-draft07.json", "diff-combined-2020-12.json" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Conformance.Path("json-schema", file)));
            foreach (var c in doc.RootElement.EnumerateArray())
            {
                total++;
                var expected = c.GetProperty("changes").EnumerateArray().Select(x => x.GetString()!).Order(StringComparer.Ordinal).ToList();
                var actual = JsonSchemaFormat.Differences(
                    Format.Parse(c.GetProperty("original_schema").GetRawText(), [], false),
                    Format.Parse(c.GetProperty("update_schema").GetRawText(), [], false), lenient: false).Order(StringComparer.Ordinal).ToList();
                if (expected.SequenceEqual(actual)) exact++;
                else output.WriteLine($"{file}: {c.GetProperty("description").GetString()}\n  expected {string.Join(", ", expected)}\n  actual   {string.Join(", ", actual)}");
            }
        }
        output.WriteLine($"{exact} of {total} cases report exactly Confluent's differences");
        Assert.True(exact >= total - 4, $"only {exact} of {total} cases match exactly");
    }
}

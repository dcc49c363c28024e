using System.Text.Json;
using System.Text.Json.Nodes;

/// <summary>
/// Measures the two candidate JSON Schema validators (JsonSchema.Net 8 and NJsonSchema 11) on the official
/// JSON-Schema-Test-Suite files for draft 4 (JsonSchema.Net has no draft-4 dialect, so it reads them as draft 6; npm package json-schema-test-suite, read from a directory given
/// on the command line, not copied here) and on our own per-draft keyword probes for drafts 6, 7, 2019-09
/// and 2020-12. Prints one line per keyword with each validator's pass count.
/// </summary>
internal static class ValidatorProbe
{
    private sealed record Case(string Draft, string Keyword, string Schema, string Data, bool Valid);

    // Our own probes: one schema per keyword that is new or changed in the later drafts.
    private static readonly Case[] Probes =
    [
        new("draft-06", "const", """{"$schema":"http://json-schema.org/draft-06/schema#","const":3}""", "3", true),
        new("draft-06", "const", """{"$schema":"http://json-schema.org/draft-06/schema#","const":3}""", "4", false),
        new("draft-06", "contains", """{"$schema":"http://json-schema.org/draft-06/schema#","contains":{"type":"string"}}""", "[1,\"a\"]", true),
        new("draft-06", "contains", """{"$schema":"http://json-schema.org/draft-06/schema#","contains":{"type":"string"}}""", "[1,2]", false),
        new("draft-06", "propertyNames", """{"$schema":"http://json-schema.org/draft-06/schema#","propertyNames":{"maxLength":2}}""", "{\"abc\":1}", false),
        new("draft-06", "exclusiveMinimum (number)", """{"$schema":"http://json-schema.org/draft-06/schema#","exclusiveMinimum":5}""", "5", false),
        new("draft-07", "if/then/else", """{"$schema":"http://json-schema.org/draft-07/schema#","if":{"minimum":10},"then":{"multipleOf":2},"else":{"multipleOf":3}}""", "11", false),
        new("draft-07", "if/then/else", """{"$schema":"http://json-schema.org/draft-07/schema#","if":{"minimum":10},"then":{"multipleOf":2},"else":{"multipleOf":3}}""", "9", true),
        new("draft-07", "$ref to definitions", """{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"p":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/p"}}}""", "{\"a\":\"x\"}", false),
        new("draft-07", "recursive $ref #", """{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"next":{"$ref":"#"},"v":{"type":"integer"}}}""", "{\"next\":{\"v\":\"x\"}}", false),
        new("2019-09", "dependentRequired", """{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentRequired":{"a":["b"]}}""", "{\"a\":1}", false),
        new("2019-09", "dependentSchemas", """{"$schema":"https://json-schema.org/draft/2019-09/schema","dependentSchemas":{"a":{"required":["b"]}}}""", "{\"a\":1}", false),
        new("2019-09", "unevaluatedProperties", """{"$schema":"https://json-schema.org/draft/2019-09/schema","properties":{"a":true},"unevaluatedProperties":false}""", "{\"a\":1,\"b\":2}", false),
        new("2019-09", "$defs", """{"$schema":"https://json-schema.org/draft/2019-09/schema","$defs":{"p":{"type":"integer"}},"$ref":"#/$defs/p"}""", "\"x\"", false),
        new("2019-09", "minContains", """{"$schema":"https://json-schema.org/draft/2019-09/schema","contains":{"const":1},"minContains":2}""", "[1,2]", false),
        new("2020-12", "prefixItems", """{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}],"items":false}""", "[\"a\",1]", false),
        new("2020-12", "prefixItems", """{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}]}""", "[\"a\",1]", true),
        new("2020-12", "unevaluatedItems", """{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}],"unevaluatedItems":false}""", "[\"a\",1]", false),
        new("2020-12", "$dynamicRef", """{"$schema":"https://json-schema.org/draft/2020-12/schema","$dynamicAnchor":"n","type":["object","integer"],"properties":{"c":{"$dynamicRef":"#n"}}}""", "{\"c\":\"x\"}", false),
        new("2020-12", "pattern (ECMA)", """{"$schema":"https://json-schema.org/draft/2020-12/schema","pattern":"^\\p{L}+$"}""", "\"abc\"", true),
    ];

    public static async Task RunAsync(string? suiteDirectory)
    {
        var results = new List<(string Draft, string Keyword, int Total, int JsonSchemaNet, int NJsonSchema)>();
        if (suiteDirectory is not null && Directory.Exists(suiteDirectory))
        {
            foreach (var file in Directory.GetFiles(suiteDirectory, "*.json").Order(StringComparer.Ordinal))
            {
                var keyword = Path.GetFileNameWithoutExtension(file);
                if (keyword is "refRemote") continue;
                int total = 0, a = 0, b = 0;
                foreach (var group in JsonNode.Parse(File.ReadAllText(file))!.AsArray())
                {
                    var schema = group!["schema"]!.ToJsonString();
                    foreach (var test in group["tests"]!.AsArray())
                    {
                        total++;
                        var data = test!["data"]?.ToJsonString() ?? "null";
                        var valid = test["valid"]!.GetValue<bool>();
                        if (await JsonSchemaNet(schema, data, "http://json-schema.org/draft-06/schema#") == valid) a++;
                        if (await NJson(schema, data) == valid) b++;
                    }
                }
                results.Add(("draft-04 (suite)", keyword, total, a, b));
            }
        }
        foreach (var group in Probes.GroupBy(p => (p.Draft, p.Keyword)))
        {
            int a = 0, b = 0;
            foreach (var probe in group)
            {
                if (await JsonSchemaNet(probe.Schema, probe.Data, null) == probe.Valid) a++;
                if (await NJson(probe.Schema, probe.Data) == probe.Valid) b++;
            }
            results.Add((group.Key.Draft + " (probe)", group.Key.Keyword, group.Count(), a, b));
        }
        Console.WriteLine("| draft | keyword | cases | JsonSchema.Net 8.0.5 | NJsonSchema 11.6.2 |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var r in results) Console.WriteLine($"| {r.Draft} | {r.Keyword} | {r.Total} | {r.JsonSchemaNet} | {r.NJsonSchema} |");
        foreach (var draft in results.GroupBy(r => r.Draft))
            Console.WriteLine($"| {draft.Key} | **all** | {draft.Sum(r => r.Total)} | {draft.Sum(r => r.JsonSchemaNet)} | {draft.Sum(r => r.NJsonSchema)} |");
    }

    private static Task<bool?> JsonSchemaNet(string schema, string data, string? dialect)
    {
        try
        {
            var node = JsonNode.Parse(schema)!;
            if (dialect is not null && node is JsonObject o && !o.ContainsKey("$schema")) o["$schema"] = dialect;
            var registry = new Json.Schema.SchemaRegistry { Fetch = (_, _) => null };
            var compiled = Json.Schema.JsonSchema.FromText(node.ToJsonString(), new Json.Schema.BuildOptions { SchemaRegistry = registry }, new Uri("https://probe.invalid/s.json"));
            using var doc = JsonDocument.Parse(data);
            return Task.FromResult<bool?>(compiled.Evaluate(doc.RootElement).IsValid);
        }
        catch (Exception)
        {
            return Task.FromResult<bool?>(null);
        }
    }

    private static async Task<bool?> NJson(string schema, string data)
    {
        try
        {
            var compiled = await NJsonSchema.JsonSchema.FromJsonAsync(schema);
            return compiled.Validate(data).Count == 0;
        }
        catch (Exception)
        {
            return null;
        }
    }
}

using System.Xml.Linq;

namespace Registry.Cli.Tests;

/// <summary><c>registry compat check</c>: online and offline verdicts agree for every format, in every output.</summary>
public sealed class CompatCheckTests
{
    public static TheoryData<string, string, string, bool> Changes() => new()
    {
        { "avsc", """{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}""", """{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}""", true },
        { "avsc", """{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}""", """{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""", false },
        { "json", """{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}""", """{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"}},"additionalProperties":false}""", true },
        { "json", """{"type":"object","properties":{"a":{"type":"string"}}}""", """{"type":"object","properties":{"a":{"type":"number"}}}""", false },
        { "proto", "syntax = \"proto3\";\nmessage M { string a = 1; }", "syntax = \"proto3\";\nmessage M { string a = 1; int32 b = 2; }", true },
        { "proto", "syntax = \"proto3\";\nmessage M { string a = 1; }", "syntax = \"proto3\";\nmessage M { int64 a = 1; }", false },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task Online_and_offline_verdicts_agree(string extension, string before, string after, bool compatible)
    {
        await using var registry = await TestRegistry.StartAsync();
        var v1 = Cli.Temp("v1." + extension, before);
        var v2 = Cli.Temp("v2." + extension, after);
        var registered = await Cli.RunAsync("register", v1, "--subject", "s", "--url", registry.Url);
        Assert.True(registered.Code == 0, registered.ToString());

        var online = await Cli.RunAsync("compat", "check", v2, "--subject", "s", "--url", registry.Url);
        var offline = await Cli.RunAsync("compat", "check", v2, "--subject", "s", "--against", v1, "--level", "BACKWARD");
        var expected = compatible ? ExitCodes.Ok : ExitCodes.Incompatible;
        Assert.True(online.Code == expected, online.ToString());
        Assert.True(offline.Code == expected, offline.ToString());
        if (!compatible)
        {
            // Both name the same differences: the registry's verbose messages, from the same Registry.Formats code.
            var onlineFirst = online.Out.Split('\n')[1].Trim();
            Assert.Contains(onlineFirst, offline.Out);
        }
    }

    [Fact]
    public async Task Junit_github_and_json_outputs_report_each_subject()
    {
        var v1 = Cli.Temp("orders.avsc", """{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}""");
        var bad = Cli.Temp("orders.avsc", """{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""");

        var junit = await Cli.RunAsync("compat", "check", bad, "--against", v1, "--output", "junit");
        Assert.Equal(ExitCodes.Incompatible, junit.Code);
        var suite = XDocument.Parse(junit.Out).Root!.Element("testsuite")!;
        Assert.Equal("1", suite.Attribute("failures")!.Value);
        Assert.Contains("TYPE_MISMATCH", suite.Element("testcase")!.Element("failure")!.Value);

        var github = await Cli.RunAsync("compat", "check", bad, "--against", v1, "--output", "github");
        Assert.StartsWith($"::error file={bad},line=", github.Out);
        Assert.Contains("title=orders is incompatible", github.Out);

        var json = await Cli.RunAsync("compat", "check", v1, "--against", v1, "--output", "json");
        Assert.Equal(ExitCodes.Ok, json.Code);
        Assert.True(System.Text.Json.JsonDocument.Parse(json.Out).RootElement[0].GetProperty("compatible").GetBoolean());
    }

    public static TheoryData<string, string, string, int, int> Locations() => new()
    {
        // The changed field's own line and column, for each format.
        { "avsc", "{\"type\":\"record\",\"name\":\"R\",\"fields\":[\n  {\"name\":\"a\",\"type\":\"string\"},\n  {\"name\":\"b\",\"type\":\"string\"}\n]}",
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[\n  {\"name\":\"a\",\"type\":\"string\"},\n  {\"name\":\"b\",\"type\":\"int\"}\n]}", 3, 15 },
        { "json", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"qty\":{\"type\":\"string\"}}}",
            "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": {\"type\": \"string\"},\n    \"qty\": {\"type\": \"number\"}\n  }\n}", 5, 5 },
        { "proto", "syntax = \"proto3\";\nmessage M {\n  string a = 1;\n  string b = 2;\n}",
            "syntax = \"proto3\";\nmessage M {\n  string a = 1;\n  int64 b = 2;\n}", 4, 3 },
    };

    [Theory]
    [MemberData(nameof(Locations))]
    public async Task Github_annotations_point_at_the_changed_line_and_column_with_a_sentence(string extension, string before, string after, int line, int column)
    {
        var v1 = Cli.Temp("v1." + extension, before);
        var v2 = Cli.Temp("v2." + extension, after);
        var github = await Cli.RunAsync("compat", "check", v2, "--subject", "s", "--against", v1, "--level", "BACKWARD", "--output", "github");
        Assert.Equal(ExitCodes.Incompatible, github.Code);
        Assert.StartsWith($"::error file={v2},line={line},col={column},", github.Out);
        Assert.DoesNotContain("errorType", github.Out);
        Assert.DoesNotContain("oldSchema", github.Out);
    }

    [Fact]
    public async Task Junit_reports_times_and_totals()
    {
        var v1 = Cli.Temp("t.avsc", """{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}""");
        var junit = await Cli.RunAsync("compat", "check", v1, "--against", v1, "--output", "junit");
        var root = XDocument.Parse(junit.Out).Root!;
        Assert.Equal("1", root.Attribute("tests")!.Value);
        Assert.Equal("0", root.Attribute("failures")!.Value);
        Assert.NotNull(root.Attribute("time"));
        Assert.NotNull(root.Element("testsuite")!.Attribute("time"));
        Assert.NotNull(root.Element("testsuite")!.Element("testcase")!.Attribute("time"));
    }

    [Fact]
    public async Task Offline_references_are_resolved_from_files()
    {
        var address = Cli.Temp("address.avsc", """{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"street","type":"string"}]}""");
        var v1 = Cli.Temp("customer.avsc", """{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}""");
        var v2 = Cli.Temp("customer.avsc", """{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"},{"name":"n","type":"int","default":1}]}""");
        var result = await Cli.RunAsync("compat", "check", v2, "--against", v1, "--reference", $"shop.Address={address}");
        Assert.True(result.Code == 0, result.ToString());
    }
}

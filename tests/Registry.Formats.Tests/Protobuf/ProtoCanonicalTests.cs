using System.Collections.Immutable;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats.Protobuf;

namespace Registry.Formats.Tests.Protobuf;

/// <summary>
/// The stored text of a .proto is Confluent's canonical printing (ProtobufSchemaUtils.toString). The expected texts
/// are Confluent's own where its ProtobufSchemaTest pins one (the map entry schema), and otherwise follow its printer
/// rule by rule: section order and blank lines, indentation of blank lines, options, escapes, normalization.
/// </summary>
public sealed class ProtoCanonicalTests
{
    private static readonly ProtobufFormat Format = new(new FormatLimits());

    private static string Canonical(string text, bool normalize = false) => Format.Parse(text, [], normalize).Canonical;

    [Fact]
    public void Confluents_printing_of_a_map_entry_schema_is_kept_byte_for_byte()
    {
        // ProtobufSchemaTest.mapEntrySchemaString: a blank line inside a nested message keeps its two spaces.
        const string confluent = "syntax = \"proto3\";\n\nimport \"google/protobuf/descriptor.proto\";\n\n"
            + "option java_package = \"io.confluent.kafka.serializers.protobuf.test\";\noption java_outer_classname = \"TestMapProtos\";\n\n"
            + "message TestMap {\n  repeated TestMapEntry test_map = 1;\n\n  message TestMapEntry {\n    option map_entry = true;\n  \n"
            + "    string key = 1;\n    string value = 2;\n  }\n}\n";
        Assert.Equal(confluent, Canonical(confluent));
    }

    [Fact]
    public void Sections_come_in_Confluents_order_with_a_blank_line_before_each()
    {
        var text = Canonical("""
            // comments go
            syntax = "proto3";
            option java_package = "acme.test";
            import "google/protobuf/timestamp.proto";
            package acme;
            enum Status { ACTIVE = 0; CLOSED = 1; }
            message Order {
              oneof payment { string iban = 4; string card = 5; }
              string id = 1 [json_name = "ID", deprecated = true];
              reserved 9, 10 to 12;
              reserved "old";
              option deprecated = true;
              message Line { string sku = 1; }
              enum Kind { A = 0; }
              google.protobuf.Timestamp at = 3;
            }
            message Empty {}
            service Orders { rpc Get (Order) returns (stream Order); }
            """);
        Assert.Equal("""
            syntax = "proto3";
            package acme;

            import "google/protobuf/timestamp.proto";

            option java_package = "acme.test";

            message Order {
              reserved 9, 10 to 12;
              reserved "old";

              option deprecated = true;

              string id = 1 [
                deprecated = true,
                json_name = "ID"
              ];
              google.protobuf.Timestamp at = 3;

              oneof payment {
                string iban = 4;
                string card = 5;
              }

              message Line {
                string sku = 1;
              }
              enum Kind {
                A = 0;
              }
            }
            message Empty {}
            enum Status {
              ACTIVE = 0;
              CLOSED = 1;
            }

            service Orders {
              rpc Get (Order) returns (stream Order);
            }

            """.Replace("\r\n", "\n", StringComparison.Ordinal), text);
    }

    [Fact]
    public void Options_keep_their_kinds_nesting_and_escapes()
    {
        var text = Canonical("""
            syntax = "proto2";
            import "google/protobuf/descriptor.proto";
            extend google.protobuf.MessageOptions { optional string note = 50001; optional Limits limits = 50002; }
            message Limits { optional int32 max = 1; repeated string tags = 2; optional Limits inner = 3; }
            message Item {
              option (note) = 'it''s' "\"x\"\t";
              option (limits) = { max: 5 tags: "a" tags: "b" inner { max: 1 } };
              option (limits).max = 7;
              optional string name = 1 [default = "n\n"];
              optional int32 count = 2 [default = -1];
            }
            """);
        Assert.Contains("  option (note) = \"its\\\"x\\\"\\t\";\n", text);
        Assert.Contains("  option (limits) = {\n    max: 5,\n    tags: [\n      \"a\",\n      \"b\"\n    ],\n    inner: {\n      max: 1\n    }\n  };\n", text);
        Assert.Contains("  option (limits).max = 7;\n", text);
        Assert.Contains("  optional string name = 1 [default = \"n\\n\"];\n", text);
        Assert.Contains("  optional int32 count = 2 [default = -1];\n", text);
        Assert.Contains("\nextend google.protobuf.MessageOptions {\n  optional string note = 50001;\n", text);
    }

    [Fact]
    public void Normalized_text_sorts_as_Confluent_and_qualifies_types()
    {
        var text = Canonical("""
            syntax = "proto3";
            package shop;
            import "google/protobuf/timestamp.proto";
            import "confluent/meta.proto";
            option java_package = "shop";
            option go_package = "shop";
            message Order {
              reserved 12, 10 to 11;
              reserved "z", "a";
              google.protobuf.Timestamp at = 3;
              string id = 1 [json_name = "ID", deprecated = true];
              map<string, Line> lines = 2;
              oneof payment { string card = 6; string iban = 5; }
              enum Kind { A = 0; C = 2; B = 1; }
              Kind kind = 4;
            }
            message Line { string sku = 1; }
            """, normalize: true);
        Assert.StartsWith("syntax = \"proto3\";\npackage shop;\n\nimport \"confluent/meta.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\n"
            + "option go_package = \"shop\";\noption java_package = \"shop\";\n\nmessage Order {\n"
            + "  reserved 10 to 11;\n  reserved 12;\n  reserved \"a\";\n  reserved \"z\";\n\n"
            + "  string id = 1 [\n    deprecated = true,\n    json_name = \"ID\"\n  ];\n"
            + "  map<string, .shop.Line> lines = 2;\n  .google.protobuf.Timestamp at = 3;\n  .shop.Order.Kind kind = 4;\n\n"
            + "  oneof payment {\n    string iban = 5;\n    string card = 6;\n  }\n\n"
            + "  enum Kind {\n    A = 0;\n    B = 1;\n    C = 2;\n  }\n}\n", text);
    }

    [Fact]
    public void Printing_is_idempotent_and_a_layout_change_is_the_same_text()
    {
        const string schema = """
            syntax = "proto3";
            package a.b;
            message M { map<string, int64> m = 1; repeated N n = 2; message N { optional bool on = 1; } }
            """;
        var once = Canonical(schema);
        Assert.Equal(once, Canonical(once));
        Assert.Equal(once, Canonical(schema.Replace(" ", "   ", StringComparison.Ordinal).Replace("\n", "\n\n// note\n", StringComparison.Ordinal)));
        Assert.Equal(Canonical(schema, normalize: true), Canonical(Canonical(schema, normalize: true), normalize: true));
    }

    [SkippableFact]
    public void Every_conformance_schema_prints_and_parses_back_to_the_same_text()
    {
        Skip.If(Registry.Testing.Conformance.Root is null, Registry.Testing.Conformance.Missing);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Registry.Testing.Conformance.Path("protobuf", "diff.json")));
        var count = 0;
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            if (c.TryGetProperty("original_references", out _) || c.TryGetProperty("update_references", out _)) continue;
            foreach (var key in new[] { "original_schema", "update_schema" })
            {
                var source = c.GetProperty(key).GetString()!;
                var parsed = Format.Parse(source, [], normalize: false);
                var main = ((ProtobufSchema)parsed).File;
                Assert.NotNull(ProtobufFormat.CanonicalText(source, normalize: false, main));
                Assert.Equal(parsed.Canonical, Canonical(parsed.Canonical));
                count++;
            }
        }
        Assert.True(count > 20);
    }

    [Fact]
    public void A_schema_stored_in_the_earlier_layout_keeps_its_id_its_version_and_its_text()
    {
        const string schema = "syntax = \"proto3\";\npackage legacy;\nmessage A { oneof o { string s = 2; } int32 n = 1; }";
        var legacyText = ProtoText.Canonical(schema);
        Assert.NotEqual(legacyText, Canonical(schema));
        var decider = new RegistryDecider(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), TimeProvider.System);
        var state = RegistryState.Empty.Apply(new SchemaRegistered("legacy-value", 1, 7, "PROTOBUF", legacyText, ImmutableArray<SchemaReference>.Empty, null, null, 1));
        var input = new SchemaInput(schema, "PROTOBUF", null, null, null);

        var again = decider.Register(state, new RegisterCommand("legacy-value", input, null, null, false, false));
        Assert.Empty(again.Events);
        Assert.Equal((1, 7), (again.Result.Version, again.Result.Schema.Id));
        Assert.Equal(1, decider.Lookup(state, "legacy-value", input, normalize: false, includeDeleted: false).Version);

        var elsewhere = decider.Register(state, new RegisterCommand("other-value", input, null, null, false, false));
        var registered = Assert.IsType<SchemaRegistered>(Assert.Single(elsewhere.Events));
        Assert.Equal((7, legacyText), (registered.Id, registered.Schema));
        state = state.Apply(registered);
        Assert.Equal(7, state.Subjects["other-value"].Versions[1].Id);
    }
}

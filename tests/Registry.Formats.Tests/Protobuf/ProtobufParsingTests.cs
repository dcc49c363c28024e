using Registry.Core;
using Registry.Core.Formats;
using Registry.Formats.Protobuf;

namespace Registry.Formats.Tests.Protobuf;

public sealed class ProtobufParsingTests
{
    private static readonly ProtobufFormat Format = new(new FormatLimits());

    [Fact]
    public void Well_known_types_and_Confluent_built_ins_need_no_reference()
    {
        var parsed = Format.Parse("""
            syntax = "proto3";
            package acme;
            import "google/protobuf/timestamp.proto";
            import "confluent/meta.proto";
            import "confluent/type/decimal.proto";
            message Payment {
              google.protobuf.Timestamp at = 1;
              confluent.type.Decimal amount = 2 [(confluent.field_meta).doc = "the amount"];
            }
            """, [], normalize: false);
        Assert.Equal(ProtobufFormat.Type, parsed.SchemaType);
    }

    [Fact]
    public void Imports_resolve_through_references_only()
    {
        const string main = "syntax = \"proto3\";\nimport \"shared/address.proto\";\nmessage Person { acme.Address home = 1; }";
        var e = Assert.Throws<RegistryException>(() => Format.Parse(main, [], false));
        Assert.Equal(Errors.InvalidSchema, e.ErrorCode);
        Assert.Contains("shared/address.proto", e.Message);

        var parsed = Format.Parse(main, [new ResolvedReference("shared/address.proto", "address", 1, 7, "PROTOBUF",
            "syntax = \"proto3\";\npackage acme;\nmessage Address { string street = 1; }")], false);
        Assert.NotNull(parsed);
    }

    [Theory]
    [InlineData("syntax = \"proto3\";\nmessage A { strin s = 1; }", "line 2")]
    [InlineData("syntax = \"proto3\";\nmessage A { string s = 1 }", "line 2")]
    [InlineData("message {", "line 1")]
    public void Malformed_proto_is_42201_naming_the_line(string proto, string where)
    {
        var e = Assert.Throws<RegistryException>(() => Format.Parse(proto, [], false));
        Assert.Equal(Errors.InvalidSchema, e.ErrorCode);
        Assert.Contains(where, e.Message);
    }

    [Fact]
    public void Nesting_past_the_limit_is_refused_before_parsing()
    {
        var deep = "syntax = \"proto3\";\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"message M{i} {{ ")) + new string('}', 200);
        var e = Assert.Throws<RegistryException>(() => Format.Parse(deep, [], false));
        Assert.Contains("deeper than the limit", e.Message);
    }

    [Fact]
    public void A_huge_enum_parses_and_compares()
    {
        var values = string.Join("\n", Enumerable.Range(0, 5000).Select(i => $"  V{i} = {i};"));
        var big = Format.Parse($"syntax = \"proto3\";\nenum Big {{\n{values}\n}}", [], false);
        Assert.Empty(Format.CheckCompatibility(big, big, "new", "old"));
    }

    [Fact]
    public void Removing_a_message_is_incompatible_and_adding_a_field_is_not()
    {
        var v1 = Format.Parse("syntax = \"proto3\";\nmessage A { string s = 1; }\nmessage B { int32 i = 1; }", [], false);
        var v2 = Format.Parse("syntax = \"proto3\";\nmessage A { string s = 1; int64 n = 2; }\nmessage B { int32 i = 1; }", [], false);
        var v3 = Format.Parse("syntax = \"proto3\";\nmessage A { string s = 1; }", [], false);
        Assert.Empty(Format.CheckCompatibility(v2, v1, "new", "old"));
        Assert.Contains("MESSAGE_REMOVED #/B", Assert.Single(Format.CheckCompatibility(v3, v1, "new", "old")));
    }

    [Fact]
    public void Normalizing_sorts_fields_options_and_imports_but_keeps_message_order()
    {
        const string a = """
            syntax = "proto3";
            import "google/protobuf/timestamp.proto";
            import "confluent/meta.proto";
            package shop;
            option java_package = "shop";
            option go_package = "shop";
            message Order {
              google.protobuf.Timestamp at = 3;
              string id = 1;
              oneof payment { string card = 5; string iban = 4; }
              int32 count = 2;
            }
            message Line { string sku = 1; }
            enum State { A = 0; C = 2; B = 1; }
            """;
        const string b = """
            // the same, written in another order
            syntax = "proto3";
            package shop;
            import "confluent/meta.proto";
            import "google/protobuf/timestamp.proto";
            option go_package = "shop";
            option java_package = "shop";
            message Order {
              string id = 1;
              int32 count = 2;
              google.protobuf.Timestamp at = 3;
              oneof payment { string iban = 4; string card = 5; }
            }
            message Line { string sku = 1; }
            enum State { A = 0; B = 1; C = 2; }
            """;
        var na = Format.Parse(a, [], normalize: true);
        var nb = Format.Parse(b, [], normalize: true);
        Assert.Equal(na.Canonical, nb.Canonical);
        Assert.Equal(na.Canonical, Format.Parse(na.Canonical, [], normalize: true).Canonical);
        Assert.True(na.Canonical.IndexOf("message Order", StringComparison.Ordinal) < na.Canonical.IndexOf("message Line", StringComparison.Ordinal));
        Assert.NotEqual(Format.Parse(a, [], false).Canonical, Format.Parse(b, [], false).Canonical);
    }

    [Theory]
    [InlineData("""
        syntax = "proto3";
        package shop.v1;
        import "google/protobuf/timestamp.proto";
        option java_package = "com.shop";
        message Order {
          string id = 1;
          map<string, int64> counts = 2;
          oneof payment { string card = 3; bytes token = 4; }
          optional int32 priority = 5;
          repeated Line lines = 6;
          google.protobuf.Timestamp at = 7;
          message Line { string sku = 1; State state = 2; }
          enum State { NEW = 0; DONE = 1; }
          reserved 10, 12 to 15;
          reserved "legacy";
        }
        service Orders { rpc Get (Order) returns (stream Order); }
        """)]
    [InlineData("""
        syntax = "proto2";
        package legacy;
        message Item {
          required string name = 1;
          optional int32 count = 2 [default = 7];
          optional string note = 3 [default = "none"];
          repeated int32 tags = 4 [packed = true];
        }
        """)]
    public void A_base64_descriptor_is_accepted_and_means_the_same_schema(string proto)
    {
        var fromText = Format.Parse(proto, [], false);
        var base64 = ProtobufFormat.Serialized(fromText);
        var fromDescriptor = Format.Parse(base64, [], false);
        Assert.Empty(ProtobufFormat.Differences(fromText, fromDescriptor));
        Assert.Empty(ProtobufFormat.Differences(fromDescriptor, fromText));
        Assert.StartsWith("syntax = ", fromDescriptor.Canonical);
    }

    [Fact]
    public void Base64_that_is_not_a_descriptor_is_42201()
    {
        var e = Assert.Throws<RegistryException>(() => Format.Parse("bm90IGEgZGVzY3JpcHRvcg==", [], false));
        Assert.Equal(Errors.InvalidSchema, e.ErrorCode);
    }

    [Fact]
    public void A_custom_option_whose_extension_is_not_declared_is_accepted_and_kept_as_Confluent_does()
    {
        const string proto = "syntax = \"proto3\";\npackage p;\noption (file_opt) = \"x\";\nmessage M {\n  string a = 1 [(my.opt) = true];\n}\n";
        var parsed = Format.Parse(proto, [], false);
        Assert.Contains("option (file_opt) = \"x\";", parsed.Canonical);
        Assert.Contains("[(my.opt) = true]", parsed.Canonical);
        // Other errors still refuse the schema.
        Assert.Throws<RegistryException>(() => Format.Parse("syntax = \"proto3\";\noption (o) = 1;\nmessage M { strin a = 1; }", [], false));
    }
}

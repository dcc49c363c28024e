namespace Registry.Formats.Protobuf;

/// <summary>
/// Imports every Confluent Protobuf schema may use without a reference: Confluent's own option and type
/// files. Google's well-known types come with protobuf-net.Reflection.
/// </summary>
internal static class BuiltInProtos
{
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["confluent/meta.proto"] = """
            syntax = "proto3";
            package confluent;
            import "google/protobuf/descriptor.proto";
            option go_package = "github.com/confluentinc/schema-registry/confluent/meta";
            option java_package = "io.confluent.protobuf";
            option java_outer_classname = "MetaProto";
            message Meta {
              string doc = 1;
              map<string, string> params = 2;
              repeated string tags = 3;
            }
            extend google.protobuf.FileOptions { Meta file_meta = 1088; }
            extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
            extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
            extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
            extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
            """,
        ["confluent/type/decimal.proto"] = """
            syntax = "proto3";
            package confluent.type;
            option go_package = "github.com/confluentinc/schema-registry/confluent/type/decimal";
            option java_package = "io.confluent.protobuf.type";
            option java_outer_classname = "DecimalProto";
            message Decimal {
              bytes value = 1;
              uint32 precision = 2;
              int32 scale = 3;
            }
            """,
    };
}

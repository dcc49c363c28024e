using Registry.Core.Formats;
using Registry.Formats.Avro;

namespace Registry.Formats;

/// <summary>The formats this build supports.</summary>
public static class FormatCatalog
{
    public static SchemaFormats Create(FormatLimits limits, long cacheBytes = SchemaFormats.DefaultCacheBytes) =>
        new([new AvroFormat(limits), new Json.JsonSchemaFormat(limits), new Protobuf.ProtobufFormat(limits)], cacheBytes);
}

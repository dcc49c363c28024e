using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Core.Model;

/// <summary>The one JSON shape of model values: camelCase, nulls omitted, as Confluent writes them.</summary>
public static class CanonicalJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        MaxDepth = 64,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Core.Model;

namespace Registry.Core.Events;

/// <summary>The JSON form of events in a store's log. Changing it is a storage migration.</summary>
public static class EventSerializer
{
    private static readonly JsonSerializerOptions Options = new(CanonicalJson.Options)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    public static string Serialize(RegistryEvent e) => JsonSerializer.Serialize(e, Options);

    public static RegistryEvent Deserialize(string json) =>
        JsonSerializer.Deserialize<RegistryEvent>(json, Options) ?? throw new InvalidDataException("A log entry holds no event.");
}

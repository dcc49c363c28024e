using System.Collections.Concurrent;

namespace Registry.Core.Formats;

/// <summary>The formats this registry knows, with a bounded cache of parsed schemas so each is parsed once.</summary>
public sealed class SchemaFormats
{
    private readonly Dictionary<string, ISchemaFormat> _formats;
    private readonly ConcurrentDictionary<string, ParsedSchema> _cache = new(StringComparer.Ordinal);
    private readonly int _cacheCapacity;

    public SchemaFormats(IEnumerable<ISchemaFormat> formats, int cacheCapacity = 10_000)
    {
        _formats = formats.ToDictionary(f => f.SchemaType, StringComparer.Ordinal);
        _cacheCapacity = cacheCapacity;
    }

    public IReadOnlyCollection<string> Types => _formats.Keys;

    /// <summary>Finds a format by its exact (case-sensitive) name, as Confluent does; 42201 when unknown.</summary>
    public ISchemaFormat Get(string schemaType) =>
        _formats.TryGetValue(schemaType, out var format)
            ? format
            : throw Errors.InvalidSchemaError($"Invalid schema type '{Errors.Printable(schemaType, 50)}'. Valid values are {string.Join(", ", _formats.Keys.Order(StringComparer.Ordinal))}");

    public ParsedSchema Parse(string schemaType, string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        var format = Get(schemaType);
        var key = CacheKey(schemaType, schema, references, normalize);
        if (_cache.TryGetValue(key, out var cached)) return cached;
        var parsed = format.Parse(schema, references, normalize);
        if (_cache.Count >= _cacheCapacity) _cache.Clear();
        _cache[key] = parsed;
        return parsed;
    }

    private static string CacheKey(string type, string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        if (references.Count == 0) return $"{type}|{(normalize ? 1 : 0)}|{schema}";
        var refs = string.Join(";", references.Select(r => $"{r.Name}={r.Id}"));
        return $"{type}|{(normalize ? 1 : 0)}|{refs}|{schema}";
    }
}

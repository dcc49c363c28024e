using System.Collections.Concurrent;

namespace Registry.Core.Formats;

/// <summary>
/// The formats this registry knows, with a cache of parsed schemas so each is parsed once. The cache is bounded by
/// bytes: each entry is charged the bytes its parse allocated (an upper bound of what the parsed schema keeps) plus
/// its key, and the oldest entries leave first once the total passes the budget. A schema whose parse alone costs more
/// than the budget is parsed every time.
/// </summary>
public sealed class SchemaFormats
{
    /// <summary>The default budget: 256 MiB.</summary>
    public const long DefaultCacheBytes = 256L << 20;

    private readonly Dictionary<string, ISchemaFormat> _formats;
    private readonly ConcurrentDictionary<ParseKey, (ParsedSchema Parsed, long Bytes)> _cache = new();
    private readonly ConcurrentQueue<ParseKey> _order = new();
    private readonly long _cacheBytes;
    private long _bytes;

    public SchemaFormats(IEnumerable<ISchemaFormat> formats, long cacheBytes = DefaultCacheBytes)
    {
        _formats = formats.ToDictionary(f => f.SchemaType, StringComparer.Ordinal);
        _cacheBytes = cacheBytes;
    }

    /// <summary>The bytes the cached parsed schemas are charged, in total.</summary>
    public long CachedBytes => Interlocked.Read(ref _bytes);

    /// <summary>The bytes the cache may be charged.</summary>
    public long CacheBudgetBytes => _cacheBytes;

    /// <summary>How many parsed schemas are cached.</summary>
    public int CachedCount => _cache.Count;

    public IReadOnlyCollection<string> Types => _formats.Keys;

    /// <summary>Finds a format by its exact (case-sensitive) name, as Confluent does; 42201 when unknown.</summary>
    public ISchemaFormat Get(string schemaType) =>
        _formats.TryGetValue(schemaType, out var format)
            ? format
            : throw Errors.InvalidSchemaError($"Invalid schema type '{Errors.Printable(schemaType, 50)}'. Valid values are {string.Join(", ", _formats.Keys.Order(StringComparer.Ordinal))}");

    public ParsedSchema Parse(string schemaType, string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        var format = Get(schemaType);
        var key = new ParseKey(schemaType, normalize, references.Count == 0 ? null : string.Join(";", references.Select(r => $"{r.Name}={r.Id}")), schema);
        if (_cache.TryGetValue(key, out var cached)) return cached.Parsed;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var parsed = format.Parse(schema, references, normalize);
        var cost = GC.GetAllocatedBytesForCurrentThread() - allocated + key.Bytes;
        if (cost <= _cacheBytes && _cache.TryAdd(key, (parsed, cost)))
        {
            _order.Enqueue(key);
            Interlocked.Add(ref _bytes, cost);
            while (Interlocked.Read(ref _bytes) > _cacheBytes && _order.TryDequeue(out var oldest))
                if (_cache.TryRemove(oldest, out var evicted)) Interlocked.Add(ref _bytes, -evicted.Bytes);
        }
        return parsed;
    }

    /// <summary>
    /// What a parse depends on: the format, normalization, the references (as name=id pairs, null when there are none)
    /// and the text. A struct of the parts, so a lookup builds no key string.
    /// </summary>
    private readonly record struct ParseKey(string Type, bool Normalize, string? References, string Schema)
    {
        /// <summary>What the key keeps alive, charged to its entry: the text and the references' string.</summary>
        public long Bytes => 2L * (Schema.Length + (References?.Length ?? 0));
    }
}

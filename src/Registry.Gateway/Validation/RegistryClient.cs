using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Formats;
using Registry.Core.Model;

namespace Registry.Gateway.Validation;

/// <summary>A schema as the gateway knows it: text, type, references resolved, rules, and the subjects using it.</summary>
public sealed class KnownSchema(int id, string schemaType, string schema, IReadOnlyList<ResolvedReference> references, RuleSet? ruleSet, IReadOnlySet<string> subjects)
{
    private ParsedSchema? _parsed;
    private IReadOnlyList<(Rule Rule, Cel.CelProgramDelegate? Program, Func<object?, CelFastPath.Outcome>? Fast, string? Error)>? _conditions;
    private IReadOnlyList<(string[] Path, string Rule)>? _encrypted;

    public int Id { get; } = id;

    public string SchemaType { get; } = schemaType;

    public IReadOnlySet<string> Subjects { get; } = subjects;

    public RuleSet? RuleSet { get; } = ruleSet;

    /// <summary>Parsed on first use (only payload and rule checks need it).</summary>
    public ParsedSchema Parsed(SchemaFormats formats) => _parsed ??= formats.Parse(SchemaType, schema, references, normalize: false);

    /// <summary>The CEL CONDITION rules that apply on write, compiled once (by the interpreter, and by the fast path where it can).</summary>
    public IReadOnlyList<(Rule Rule, Cel.CelProgramDelegate? Program, Func<object?, CelFastPath.Outcome>? Fast, string? Error)> Conditions => _conditions ??= CompileConditions();

    /// <summary>The fields the schema's ENCRYPT rules encrypt (by their PII-style tags), found once.</summary>
    public IReadOnlyList<(string[] Path, string Rule)> EncryptedFields => _encrypted ??= Formats.Payloads.EncryptedFields.Covered(SchemaType, schema, RuleSet);

    public KnownSchema WithSubjects(IReadOnlySet<string> subjects) =>
        new(Id, SchemaType, schema, references, RuleSet, subjects) { _parsed = _parsed, _conditions = _conditions, _encrypted = _encrypted };

    private List<(Rule, Cel.CelProgramDelegate?, Func<object?, CelFastPath.Outcome>?, string?)> CompileConditions()
    {
        var environment = new Cel.CelEnvironment(null, "");
        var rules = new List<(Rule, Cel.CelProgramDelegate?, Func<object?, CelFastPath.Outcome>?, string?)>();
        // Rules enabled for clients only (or the server, or nowhere) are not the gateway's to run.
        if (!RuleSet.IsEnabledAt(RuleSet, "GATEWAY")) return rules;
        foreach (var rule in RuleSet?.DomainRules ?? [])
        {
            if (rule.Disabled || !string.Equals(rule.Kind, "CONDITION", StringComparison.OrdinalIgnoreCase)) continue;
            if (rule.Mode is { } mode && !mode.Equals("WRITE", StringComparison.OrdinalIgnoreCase) && !mode.Equals("WRITEREAD", StringComparison.OrdinalIgnoreCase)) continue;
            if (!string.Equals(rule.Type, "CEL", StringComparison.OrdinalIgnoreCase))
            {
                rules.Add((rule, null, null, $"rule type {rule.Type} is not evaluated by the gateway (only CEL)"));
                continue;
            }
            try
            {
                // The fast path decides what it can; the interpreter decides the rest, and refuses what does not compile.
                rules.Add((rule, environment.Compile(rule.Expr ?? ""), CelFastPath.TryCompile(rule.Expr ?? ""), null));
            }
            catch (Exception e)
            {
                rules.Add((rule, null, null, $"the expression does not compile: {e.Message}"));
            }
        }
        return rules;
    }
}

/// <summary>
/// Reads the registry's REST API: policies, and schemas by id with the subjects that use them. Schemas are
/// cached by id (ids never change meaning); a miss fetches once, and a subject check that fails re-reads the
/// id's subjects once before the record is rejected.
/// </summary>
public sealed class RegistryClient(HttpClient http, TimeSpan? recheckAfter = null)
{
    private const int MaxRemembered = 100_000;
    private static readonly JsonSerializerOptions Json = CanonicalJson.Options;
    private readonly ConcurrentDictionary<int, KnownSchema> _schemas = new();

    // When an id was last found unknown, or its subjects last re-read: a batch of records naming one bad id
    // costs one registry request per interval, not one per record.
    private readonly ConcurrentDictionary<int, long> _unknownAt = new();
    private readonly ConcurrentDictionary<(int Id, string Subject), long> _subjectsReadAt = new();
    private readonly long _recheckTicks = (long)((recheckAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    public int CachedSchemas => _schemas.Count;

    public async Task<IReadOnlyDictionary<string, TopicPolicy>> GetPoliciesAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/policies", cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<Dictionary<string, TopicPolicy>>(Json, cancellationToken) ?? [];
    }

    /// <summary>POST /v1/usage/produce: records let through per topic, value schema id (default context) and client id.</summary>
    public async Task ReportProduceUsageAsync(IReadOnlyList<(string Topic, int Id, string ClientId, long Count)> counts, CancellationToken cancellationToken)
    {
        foreach (var chunk in counts.Chunk(10_000))
        {
            var body = new { reports = chunk.Select(c => new { topic = c.Topic, id = c.Id, clientId = c.ClientId, count = c.Count }) };
            using var response = await http.PostAsJsonAsync("v1/usage/produce", body, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>The cached schema for an id, fetched when not cached; null when the registry does not know the id.</summary>
    public async ValueTask<KnownSchema?> GetSchemaAsync(int id, CancellationToken cancellationToken)
    {
        if (_schemas.TryGetValue(id, out var known)) return known;
        if (Recent(_unknownAt, id)) return null;
        var fetched = await FetchAsync(id, cancellationToken);
        if (fetched is not null) return _schemas.GetOrAdd(id, fetched);
        Remember(_unknownAt, id);
        return null;
    }

    private bool Recent<TKey>(ConcurrentDictionary<TKey, long> times, TKey key) where TKey : notnull =>
        times.TryGetValue(key, out var at) && System.Diagnostics.Stopwatch.GetTimestamp() - at < _recheckTicks;

    private static void Remember<TKey>(ConcurrentDictionary<TKey, long> times, TKey key) where TKey : notnull
    {
        if (times.Count >= MaxRemembered) times.Clear();
        times[key] = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Re-reads which subjects use an id, because a record expects it under <paramref name="subject"/> (a new
    /// registration may have added it). Asked again for the same id and subject only after the recheck interval.
    /// </summary>
    public async ValueTask<KnownSchema?> RefreshSubjectsAsync(KnownSchema schema, string subject, CancellationToken cancellationToken)
    {
        if (Recent(_subjectsReadAt, (schema.Id, subject))) return schema;
        Remember(_subjectsReadAt, (schema.Id, subject));
        var subjects = await SubjectsOfAsync(schema.Id, cancellationToken);
        if (subjects is null) return null;
        var refreshed = schema.WithSubjects(subjects);
        _schemas[schema.Id] = refreshed;
        return refreshed;
    }

    private async Task<KnownSchema?> FetchAsync(int id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"schemas/ids/{id}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var node = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
        var subjects = await SubjectsOfAsync(id, cancellationToken) ?? new HashSet<string>();
        var type = (string?)node["schemaType"] ?? "AVRO";
        var references = await ResolveAsync(node["references"] as JsonArray, 0, cancellationToken);
        var ruleSet = node["ruleSet"] is JsonObject rules ? rules.Deserialize<RuleSet>(Json) : null;
        return new KnownSchema(id, type, (string)node["schema"]!, references, ruleSet, subjects);
    }

    private async Task<HashSet<string>?> SubjectsOfAsync(int id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"schemas/ids/{id}/versions", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        var versions = await response.Content.ReadFromJsonAsync<JsonArray>(cancellationToken) ?? [];
        return versions.Select(v => (string)v!["subject"]!).ToHashSet(StringComparer.Ordinal);
    }

    private async Task<List<ResolvedReference>> ResolveAsync(JsonArray? references, int depth, CancellationToken cancellationToken)
    {
        var resolved = new List<ResolvedReference>();
        if (references is null) return resolved;
        if (depth > 32) throw new InvalidOperationException("references nest deeper than 32");
        foreach (var reference in references)
        {
            var name = (string)reference!["name"]!;
            var subject = (string)reference["subject"]!;
            var version = (int)reference["version"]!;
            using var response = await http.GetAsync($"subjects/{Uri.EscapeDataString(subject)}/versions/{version}", cancellationToken);
            response.EnsureSuccessStatusCode();
            var node = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
            resolved.AddRange(await ResolveAsync(node["references"] as JsonArray, depth + 1, cancellationToken));
            resolved.Add(new ResolvedReference(name, subject, version, (int)node["id"]!, (string?)node["schemaType"] ?? "AVRO", (string)node["schema"]!));
        }
        return resolved;
    }
}

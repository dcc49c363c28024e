using System.ComponentModel.DataAnnotations;

namespace Registry.Server.Hosting;

/// <summary>
/// Settings under <c>Registry:</c> (env <c>Registry__Name</c>, switch <c>--Registry:Name=value</c>).
/// docs/configuration.md lists each with its default.
/// </summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>Which store keeps the log: "embedded" (SQLite, one node), "postgres" or "kafka" (several nodes).</summary>
    [Required]
    public string Store { get; set; } = "embedded";

    /// <summary>Directory of the embedded store. Default ./data.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Compatibility level when no config sets one. Default BACKWARD.</summary>
    public string DefaultCompatibility { get; set; } = "BACKWARD";

    /// <summary>The Postgres store, used when <see cref="Store"/> is "postgres".</summary>
    public PostgresStoreOptions Postgres { get; set; } = new();

    /// <summary>The Kafka store, used when <see cref="Store"/> is "kafka".</summary>
    public KafkaStoreOptions Kafka { get; set; } = new();

    /// <summary>How often a node reads the log for other nodes' writes when no notification came. Default 1000 ms.</summary>
    [Range(10, int.MaxValue)]
    public int PollIntervalMs { get; set; } = 1000;

    /// <summary>Largest schema accepted, in characters. Default 1 MiB.</summary>
    [Range(1, int.MaxValue)]
    public int MaxSchemaLength { get; set; } = 1 << 20;

    /// <summary>Largest request body, in bytes. Default 4 MiB (a schema is escaped inside JSON).</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 4L << 20;

    /// <summary>Deepest JSON nesting in a schema. Default 64.</summary>
    [Range(1, 10_000)]
    public int MaxNestingDepth { get; set; } = 64;

    /// <summary>Most references per schema, transitively. Default 256.</summary>
    [Range(0, int.MaxValue)]
    public int MaxReferences { get; set; } = 256;

    /// <summary>Deepest chain of references. Default 32.</summary>
    [Range(1, 10_000)]
    public int MaxReferenceDepth { get; set; } = 32;

    /// <summary>Longest subject name. Default 1024.</summary>
    [Range(1, int.MaxValue)]
    public int MaxSubjectLength { get; set; } = 1024;

    /// <summary>Most subjects per context (tenant), 0 for no limit; over it, registering a new subject is 42205. Default 0.</summary>
    [Range(0, int.MaxValue)]
    public int MaxSubjectsPerContext { get; set; }

    /// <summary>Per-tenant overrides of MaxSubjectsPerContext, by context: <c>Registry:SubjectLimits:.tenant-a=50</c>.</summary>
    public Dictionary<string, int> SubjectLimits { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Proposal webhooks (docs/review.md).</summary>
    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>Observed usage (docs/review.md): who fetches and produces each schema id.</summary>
    public UsageOptions Usage { get; set; } = new();

    /// <summary>Most items in one listing response (limit=-1 means this many). Default 100000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxListSize { get; set; } = 100_000;

    /// <summary>Most KEKs, and separately most DEK versions, the DEK registry holds (Confluent's dek.registry.max.keys).</summary>
    [Range(1, int.MaxValue)]
    public int MaxKeys { get; set; } = 20_000;

    /// <summary>Proposals open at once at most (docs/review.md). Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxOpenProposals { get; set; } = 10_000;

    /// <summary>Longest proposal description, review comment or reason, in characters. Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxReviewTextLength { get; set; } = 10_000;

    /// <summary>Reviews and comments one proposal holds at most. Default 500.</summary>
    [Range(1, int.MaxValue)]
    public int MaxReviewsPerProposal { get; set; } = 500;

    /// <summary>The secret of the <c>local-kms</c> driver, for shared KEKs of that type (else LOCAL_SECRET).</summary>
    public string? KmsLocalSecret { get; set; }

    /// <summary>The Vault token of the <c>hcvault</c> driver when a KEK's kmsProps name none (else VAULT_TOKEN).</summary>
    public string? KmsVaultToken { get; set; }

    /// <summary>How long a write may wait and run before it fails with 50002. Default 10000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int WriteTimeoutMs { get; set; } = 10_000;

    /// <summary>
    /// Bytes the managed heap may hold: the garbage collector's hard limit, set at start, so that resident memory stays
    /// under about this plus the runtime's own (native code and stacks, some 100 MiB). The parsed-schema cache then gets
    /// at most a quarter of it. 0 (the default) leaves the limit to the runtime (the machine's or the container's memory).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MemoryBudgetBytes { get; set; }

    /// <summary>With a memory budget, changes are refused (50001) once the heap the last collection left is over this share of it. Default 90.</summary>
    [Range(1, 100)]
    public int MemoryBudgetWritePercent { get; set; } = 90;

    /// <summary>The smallest <see cref="MemoryBudgetBytes"/> accepted: below it, a registry cannot start.</summary>
    public const long MinMemoryBudgetBytes = 64L << 20;

    /// <summary>The parsed-schema cache's budget: <see cref="ParsedSchemaCacheBytes"/>, capped at a quarter of <see cref="MemoryBudgetBytes"/> when one is set.</summary>
    public long EffectiveParsedSchemaCacheBytes => MemoryBudgetBytes > 0 ? Math.Min(ParsedSchemaCacheBytes, MemoryBudgetBytes / 4) : ParsedSchemaCacheBytes;

    /// <summary>Bytes the parsed-schema cache may hold (each entry charged what its parse allocated). Default 256 MiB.</summary>
    [Range(0, long.MaxValue)]
    public long ParsedSchemaCacheBytes { get; set; } = Core.Formats.SchemaFormats.DefaultCacheBytes;

    /// <summary>Requests per second allowed per client (user, else address); 0 turns rate limiting off. Default 0.</summary>
    [Range(0, int.MaxValue)]
    public int RateLimitPerSecond { get; set; }

    /// <summary>Requests a client may burst above the rate. Default 100.</summary>
    [Range(1, int.MaxValue)]
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>Write logs as JSON lines instead of text. Default false.</summary>
    public bool JsonLogs { get; set; }

    /// <summary>Authentication: "none" (default, logged loudly at start) or a comma list of "basic", "jwt", "mtls".</summary>
    public string AuthMode { get; set; } = "none";

    /// <summary>The users file for basic authentication (see docs/operations.md).</summary>
    public string? UsersFile { get; set; }

    /// <summary>Whether the review UI at /ui may register versions. Default true (with authentication, writers only).</summary>
    public bool UiAllowsWrites { get; set; } = true;

    /// <summary>The id reported by /v1/metadata/id as the schema-registry cluster. Default "schema-registry".</summary>
    public string ClusterId { get; set; } = "schema-registry";

    /// <summary>
    /// The error code of an incompatible schema: 40901, as Confluent 8.0.4+ (default), or 409, as Confluent before it,
    /// for clients that compare the code. The HTTP status is 409 either way.
    /// </summary>
    [AllowedValues(409, 40901)]
    public int IncompatibleErrorCode { get; set; } = 40901;

    /// <summary>The Kafka cluster id reported by /v1/metadata/id. Default "registry-embedded".</summary>
    public string KafkaClusterId { get; set; } = "registry-embedded";

    /// <summary>This node's name among the nodes of one store (exporter leases). Default: kept in DataDirectory/node-id.</summary>
    public string? NodeId { get; set; }

    /// <summary>Schema exporters (Schema Linking to another registry).</summary>
    public ExporterOptions Exporters { get; set; } = new();
}

/// <summary>Settings under <c>Registry:Exporters:</c> (docs/dr.md).</summary>
public sealed class ExporterOptions
{
    /// <summary>
    /// Base64 of 32 random bytes sealing exporter credentials in the log (AES-256-GCM). Without it, an exporter whose
    /// config holds a credential is refused.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>The context an AUTO exporter writes to at its destination is ".{SourceName}"; default ".{exporter name}".</summary>
    public string? SourceName { get; set; }

    /// <summary>Most exporters. Default 100.</summary>
    [Range(0, 10_000)]
    public int MaxExporters { get; set; } = 100;

    /// <summary>How long a node holds an exporter without renewing; another node takes it over after this. Default 30000 ms.</summary>
    [Range(1000, int.MaxValue)]
    public int LeaseMs { get; set; } = 30_000;

    /// <summary>How often each node looks for exporters to start or stop, and a running exporter for new events. Default 500 ms.</summary>
    [Range(10, int.MaxValue)]
    public int PollIntervalMs { get; set; } = 500;

    /// <summary>Least time between two progress records of a running exporter. Default 1000 ms.</summary>
    [Range(10, int.MaxValue)]
    public int CheckpointIntervalMs { get; set; } = 1000;

    /// <summary>Longest wait between two attempts at a change the destination refused or did not answer. Default 30000 ms.</summary>
    [Range(10, int.MaxValue)]
    public int RetryMaxMs { get; set; } = 30_000;

    /// <summary>Timeout of one request to the destination. Default 10000 ms.</summary>
    [Range(100, int.MaxValue)]
    public int RequestTimeoutMs { get; set; } = 10_000;
}

/// <summary>Settings under <c>Registry:Postgres:</c>.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string. Required for the Postgres store.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Database schema holding the registry's tables. Default "registry".</summary>
    public string Schema { get; set; } = "registry";
}

/// <summary>Settings under <c>Registry:Kafka:</c>.</summary>
public sealed class KafkaStoreOptions
{
    /// <summary>Kafka bootstrap servers. Required for the Kafka store.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>The compacted single-partition topic holding the log. Default "_schemas", as Confluent's.</summary>
    public string Topic { get; set; } = "_schemas";

    /// <summary>Replication factor used when the registry creates the topic. Default 3, as Confluent's.</summary>
    public short ReplicationFactor { get; set; } = 3;

    /// <summary>Our own compacted topic for gateway policies and the writer's address. Default "_registry" beside "_schemas", else "{Topic}_registry".</summary>
    public string? RegistryTopic { get; set; }

    /// <summary>Confluent's DEK registry topic for KEKs and DEKs. Default "_dek_registry_keys" beside "_schemas", else "{Topic}_dek_registry_keys".</summary>
    public string? DekRegistryTopic { get; set; }

    /// <summary>Consumer group through which the nodes elect the one writer. Default "registry-writers-{Topic}".</summary>
    public string? GroupId { get; set; }

    /// <summary>Transactional id shared by every writer, so a new writer fences the old one. Default "registry-writer-{Topic}".</summary>
    public string? TransactionalId { get; set; }

    /// <summary>Group session timeout: a writer that stops heartbeating is replaced after this long. Default 6000 ms.</summary>
    [Range(1000, 300_000)]
    public int SessionTimeoutMs { get; set; } = 6000;

    /// <summary>The URL other nodes forward writes to. Default: the first address the server listens on (0.0.0.0 replaced by the host name).</summary>
    public string? AdvertisedUrl { get; set; }
}

/// <summary><c>Registry:Usage:*</c>: the bound of the observed-usage counters.</summary>
public sealed class UsageOptions
{
    /// <summary>Distinct (schema id, fetch or produce, principal or client id, topic) keys kept; the least recently seen go first. Default 100000.</summary>
    [Range(1, 10_000_000)]
    public int MaxKeys { get; set; } = 100_000;
}

/// <summary><c>Registry:Webhooks:*</c>: where proposal events are POSTed and how.</summary>
public sealed class WebhookOptions
{
    /// <summary>URLs that receive every proposal event (a Slack incoming webhook takes them as they are).</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>Key of the HMAC-SHA256 signature in <c>X-Registry-Signature</c>; without it, deliveries are not signed.</summary>
    public string? Secret { get; set; }

    /// <summary>Attempts per delivery, the first included. Default 6.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Wait before the first retry, doubled after each. Default 1000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int RetryBaseMs { get; set; } = 1_000;

    /// <summary>Longest wait between two attempts. Default 60000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int RetryMaxMs { get; set; } = 60_000;

    /// <summary>Time allowed for one attempt. Default 10000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int TimeoutMs { get; set; } = 10_000;

    /// <summary>Deliveries waiting at most; beyond, the oldest is dropped. Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxQueued { get; set; } = 10_000;
}

namespace Registry.Storage.Kafka;

/// <summary>How the Kafka store reaches its cluster, which topics it uses and how its nodes elect the writer.</summary>
public sealed record KafkaLogSettings(string BootstrapServers)
{
    /// <summary>The compacted single-partition topic in Confluent's format. Default "_schemas".</summary>
    public string Topic { get; init; } = "_schemas";

    /// <summary>Our own compacted topic for what Confluent's format has no keytype for (gateway policies, the writer's address). Default "_registry" beside "_schemas", else "{Topic}_registry".</summary>
    public string? RegistryTopic { get; init; }

    /// <summary>Confluent's DEK registry topic, for KEKs and DEKs in Confluent's format. Default "_dek_registry_keys" beside "_schemas", else "{Topic}_dek_registry_keys".</summary>
    public string? DekRegistryTopic { get; init; }

    /// <summary>Replication factor used when the store creates a topic. Default 3.</summary>
    public short ReplicationFactor { get; init; } = 3;

    /// <summary>Consumer group through which the nodes elect the one writer. Default "registry-writers-{Topic}".</summary>
    public string? GroupId { get; init; }

    /// <summary>The transactional id every writer uses, so that a new writer fences the old one at the broker. Default "registry-writer-{Topic}".</summary>
    public string? TransactionalId { get; init; }

    /// <summary>Group session timeout: a writer that stops heartbeating is replaced after this long. Default 6000 ms.</summary>
    public int SessionTimeoutMs { get; init; } = 6000;

    /// <summary>Bound on store calls (produce, commit, reading to the end). Default 5 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The URL other nodes forward writes to when this node is the writer; null until the server listens.</summary>
    public Func<string?> AdvertisedUrl { get; init; } = () => null;

    /// <summary>Where skipped records and writer changes are logged.</summary>
    public Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    internal string EffectiveRegistryTopic => RegistryTopic ?? (Topic == "_schemas" ? "_registry" : Topic + "_registry");

    internal string EffectiveDekRegistryTopic => DekRegistryTopic ?? (Topic == "_schemas" ? "_dek_registry_keys" : Topic + "_dek_registry_keys");

    /// <summary>The three one-partition compacted topics the store reads and writes.</summary>
    public IReadOnlyList<string> StoreTopics => [Topic, EffectiveRegistryTopic, EffectiveDekRegistryTopic];

    internal string EffectiveGroupId => GroupId ?? "registry-writers-" + Topic;

    internal string EffectiveTransactionalId => TransactionalId ?? "registry-writer-" + Topic;

    /// <summary>A writer stops writing when it has not heard from the group for half the session timeout, before the group replaces it.</summary>
    internal TimeSpan Lease => TimeSpan.FromMilliseconds(SessionTimeoutMs / 2.0);
}

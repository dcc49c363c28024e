using System.Diagnostics.Metrics;

namespace Registry.Server.Hosting;

/// <summary>The server's own instruments; /metrics exports them with the HTTP and store metrics.</summary>
public static class ServerMetrics
{
    private static readonly Meter Meter = new("Registry.Server");

    /// <summary>New versions registered, by schema type.</summary>
    public static readonly Counter<long> Registrations = Meter.CreateCounter<long>("registrations", description: "Schema versions registered");

    /// <summary>Registrations and checks refused as incompatible.</summary>
    public static readonly Counter<long> CompatibilityFailures = Meter.CreateCounter<long>("compatibility_failures", description: "Incompatible registrations and checks");

    internal static Func<bool>? Ready { get; set; }

    /// <summary>The parsed-schema cache whose size is reported.</summary>
    internal static Core.Formats.SchemaFormats? ParsedCache { get; set; }

    /// <summary>Registry:MemoryBudgetBytes once applied (0: none).</summary>
    internal static long MemoryBudget { get; set; }

    static ServerMetrics()
    {
        Meter.CreateObservableGauge("ready", () => Ready?.Invoke() == true ? 1 : 0, description: "1 when this node has replayed the log and reaches its store");
        Meter.CreateObservableGauge("parsed_schema_cache_bytes", () => ParsedCache?.CachedBytes ?? 0, description: "Bytes the parsed-schema cache is charged (what the cached parses allocated)");
        Meter.CreateObservableGauge("memory_budget_bytes", () => MemoryBudget, description: "Registry:MemoryBudgetBytes, the heap's hard limit (0: none)");
        Meter.CreateObservableGauge("memory_heap_limit_bytes", () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
            description: "The memory the garbage collector may use: the budget when one is set, else the machine's or container's");
        Meter.CreateObservableGauge("parsed_schema_cache_budget_bytes", () => ParsedCache?.CacheBudgetBytes ?? 0,
            description: "Bytes the parsed-schema cache may be charged: Registry:ParsedSchemaCacheBytes, at most a quarter of Registry:MemoryBudgetBytes");
        Meter.CreateObservableGauge("parsed_schema_cache_entries", () => ParsedCache?.CachedCount ?? 0, description: "Parsed schemas cached");
    }
}

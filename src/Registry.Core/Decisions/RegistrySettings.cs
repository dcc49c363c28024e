using Registry.Core.Model;

namespace Registry.Core.Decisions;

/// <summary>Defaults and limits that decisions apply. Every limit is configurable (see docs/configuration.md).</summary>
public sealed record RegistrySettings
{
    /// <summary>Compatibility level when neither subject, context nor global config sets one. Default BACKWARD.</summary>
    public CompatibilityLevel DefaultCompatibility { get; init; } = CompatibilityLevel.Backward;

    /// <summary>Largest schema text accepted, in characters. Default 1 MiB.</summary>
    public int MaxSchemaLength { get; init; } = 1 << 20;

    /// <summary>Most references a schema may use, transitively. Default 256.</summary>
    public int MaxReferences { get; init; } = 256;

    /// <summary>Deepest chain of references. Default 32.</summary>
    public int MaxReferenceDepth { get; init; } = 32;

    /// <summary>Longest subject name, in characters. Default 1024.</summary>
    public int MaxSubjectLength { get; init; } = 1024;

    /// <summary>Most subjects a context (tenant) may hold, soft-deleted included; 0 is no limit. Default 0.</summary>
    public int MaxSubjectsPerContext { get; init; }

    /// <summary>Per-context overrides of <see cref="MaxSubjectsPerContext"/>, by context name (".tenant-a"); 0 is no limit.</summary>
    public IReadOnlyDictionary<string, int> SubjectLimits { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// Most KEKs, and separately most DEK versions, the DEK registry holds (soft-deleted included); as Confluent's
    /// <c>dek.registry.max.keys</c>, a create is refused once the count already exceeds it. Default 20,000.
    /// </summary>
    public int MaxKeys { get; init; } = 20_000;

    /// <summary>Exporters this registry holds at most (40964 beyond).</summary>
    public int MaxExporters { get; init; } = 100;

    /// <summary>Proposals open (OPEN or APPROVED) at once at most; beyond, a new proposal is refused (40981).</summary>
    public int MaxOpenProposals { get; init; } = 10_000;

    /// <summary>Longest proposal description or review comment, in characters.</summary>
    public int MaxReviewTextLength { get; init; } = 10_000;

    /// <summary>Reviews and comments a proposal holds at most.</summary>
    public int MaxReviewsPerProposal { get; init; } = 500;
}

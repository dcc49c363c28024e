namespace Registry.Formats;

/// <summary>Limits every format applies while parsing.</summary>
public sealed record FormatLimits
{
    /// <summary>Deepest JSON nesting accepted in a schema document. Default 64.</summary>
    public int MaxNestingDepth { get; init; } = 64;
}

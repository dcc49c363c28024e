using System.Collections.Immutable;

namespace Registry.Core.Model;

/// <summary>
/// A schema exporter (Confluent Schema Linking): which subjects go where. <see cref="Config"/> holds the destination
/// client settings; secret values are kept sealed (see the server's exporter secrets), never in plain text.
/// </summary>
public sealed record ExporterDefinition(
    string Name,
    string ContextType,
    string? Context,
    ImmutableArray<string> Subjects,
    string? SubjectRenameFormat,
    string? KekRenameFormat,
    ImmutableSortedDictionary<string, string> Config,
    bool Paused)
{
    public const string Auto = "AUTO";
    public const string Custom = "CUSTOM";
    public const string None = "NONE";

    /// <summary>Subjects when none are given: every subject of the default context, as the Confluent CLI's default.</summary>
    public static readonly ImmutableArray<string> AllSubjects = ["*"];
}

/// <summary>
/// How far an exporter got, written by the node that runs it: the last log position applied to the destination, when,
/// the last error (empty when healthy), and the node holding the exporter with its lease (ms since the epoch).
/// </summary>
public sealed record ExporterProgress(string Name, long Position, long Timestamp, string Trace, string? Owner, long LeaseUntil)
{
    public static ExporterProgress Initial(string name) => new(name, 0, 0, "", null, 0);

    /// <summary>Whether <paramref name="node"/> may run the exporter at <paramref name="now"/>: it holds the lease, or nobody does.</summary>
    public bool FreeFor(string node, long now) => Owner is null || Owner == node || LeaseUntil <= now;
}

/// <summary>An exporter in the state: its definition and its progress.</summary>
public sealed record ExporterEntry(ExporterDefinition Definition, ExporterProgress Progress);

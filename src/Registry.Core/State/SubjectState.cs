using System.Collections.Immutable;

namespace Registry.Core.State;

/// <summary>The versions of one subject (hard-deleted versions are gone; soft-deleted ones are flagged).</summary>
public sealed record SubjectState(string Name, ImmutableSortedDictionary<int, SubjectVersion> Versions)
{
    public IEnumerable<SubjectVersion> Live => Versions.Values.Where(v => !v.Deleted);

    public SubjectVersion? LatestLive => Versions.Values.LastOrDefault(v => !v.Deleted);

    public SubjectVersion? Latest(bool includeDeleted) => includeDeleted ? Versions.Values.LastOrDefault() : LatestLive;

    public bool HasLive => Versions.Values.Any(v => !v.Deleted);

    public int MaxVersion => Versions.Count == 0 ? 0 : Versions.Keys.Last();
}

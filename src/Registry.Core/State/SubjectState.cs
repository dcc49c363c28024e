using System.Collections.Immutable;

namespace Registry.Core.State;

/// <summary>The versions of one subject (hard-deleted versions are gone; soft-deleted ones are flagged).</summary>
public sealed record SubjectState(string Name, ImmutableSortedDictionary<int, SubjectVersion> Versions)
{
    // The latest versions, found by one pass over Versions the first time they are asked for and kept until Versions
    // changes (a `with` copies the field, and the reference check then sees the new Versions): reads of `latest` do not
    // walk the versions each time.
    private Summary? _summary;

    public IEnumerable<SubjectVersion> Live => Versions.Values.Where(v => !v.Deleted);

    public SubjectVersion? LatestLive => Summarized().LastLive;

    public SubjectVersion? Latest(bool includeDeleted) => includeDeleted ? Summarized().Last : Summarized().LastLive;

    public bool HasLive => Summarized().LastLive is not null;

    public int MaxVersion => Summarized().Last?.Version ?? 0;

    public bool Equals(SubjectState? other) =>
        other is not null && (ReferenceEquals(this, other) || (Name == other.Name && ReferenceEquals(Versions, other.Versions)));

    public override int GetHashCode() => HashCode.Combine(Name, Versions);

    private Summary Summarized()
    {
        var summary = _summary;
        if (summary is not null && ReferenceEquals(summary.Of, Versions)) return summary;
        SubjectVersion? last = null, lastLive = null;
        foreach (var v in Versions.Values)
        {
            last = v;
            if (!v.Deleted) lastLive = v;
        }
        return _summary = new Summary(Versions, last, lastLive);
    }

    private sealed record Summary(ImmutableSortedDictionary<int, SubjectVersion> Of, SubjectVersion? Last, SubjectVersion? LastLive);
}

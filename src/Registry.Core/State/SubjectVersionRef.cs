namespace Registry.Core.State;

/// <summary>A subject and one of its versions, ordered by subject then version.</summary>
public readonly record struct SubjectVersionRef(string Subject, int Version) : IComparable<SubjectVersionRef>
{
    public int CompareTo(SubjectVersionRef other)
    {
        var c = string.CompareOrdinal(Subject, other.Subject);
        return c != 0 ? c : Version.CompareTo(other.Version);
    }
}

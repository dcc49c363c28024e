namespace Registry.Core.Model;

/// <summary>
/// A schema id in its context: ids are numbered per context, as in Confluent, so the same id means different
/// schemas in <c>.</c> and <c>.t1</c>. Ordered by context, then id.
/// </summary>
public readonly record struct ContextId(string Context, int Id) : IComparable<ContextId>
{
    /// <summary>The context a subject belongs to.</summary>
    public static ContextId Of(string subject, int id) => new(QualifiedSubject.Parse(subject).Context, id);

    public int CompareTo(ContextId other)
    {
        var c = string.CompareOrdinal(Context, other.Context);
        return c != 0 ? c : Id.CompareTo(other.Id);
    }

    public override string ToString() => Context == QualifiedSubject.DefaultContext ? $"{Id}" : $"{Context}/{Id}";
}

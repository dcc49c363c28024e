using System.Collections;
using System.Collections.Immutable;

namespace Registry.Core.State;

/// <summary>
/// The subject versions that use a schema id, in order. Most ids are used by one version: that one is held inline (no
/// set, no node), and a set is made only for the second. A value in <see cref="RegistryState.Usages"/>, so held per
/// stored schema: the inline case saves about 70 bytes per schema against a one-element sorted set.
/// </summary>
public readonly struct SchemaUsages : IEnumerable<SubjectVersionRef>, IEquatable<SchemaUsages>
{
    private readonly SubjectVersionRef _one;
    private readonly ImmutableSortedSet<SubjectVersionRef>? _many;

    private SchemaUsages(SubjectVersionRef one, ImmutableSortedSet<SubjectVersionRef>? many) => (_one, _many) = (one, many);

    public static SchemaUsages Empty => default;

    public bool IsEmpty => _many is null && _one.Subject is null;

    /// <summary>The first usage in order, without an enumerator (a fetch by id reads it on every request).</summary>
    public SubjectVersionRef First =>
        _many is not null ? _many.Min : _one.Subject is not null ? _one : throw new InvalidOperationException("No subject version uses this schema");

    public SchemaUsages Add(SubjectVersionRef usage)
    {
        if (_many is not null) return new(default, _many.Add(usage));
        if (_one.Subject is null || _one == usage) return new(usage, null);
        return new(default, ImmutableSortedSet.Create(_one, usage));
    }

    public SchemaUsages Remove(SubjectVersionRef usage)
    {
        if (_many is null) return _one == usage ? Empty : this;
        var left = _many.Remove(usage);
        return left.Count == 1 ? new(left.Min, null) : new(default, left);
    }

    public IEnumerator<SubjectVersionRef> GetEnumerator()
    {
        if (_many is not null)
        {
            foreach (var usage in _many) yield return usage;
        }
        else if (_one.Subject is not null)
        {
            yield return _one;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(SchemaUsages other) => _one == other._one && ReferenceEquals(_many, other._many);

    public override bool Equals(object? obj) => obj is SchemaUsages other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_one, _many);
}

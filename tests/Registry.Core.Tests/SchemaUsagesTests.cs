using System.Collections.Immutable;
using FsCheck.Xunit;
using Registry.Core.State;

namespace Registry.Core.Tests;

/// <summary>The usages of a schema id (one held inline, more in a set) behave as a sorted set of them.</summary>
public sealed class SchemaUsagesTests
{
    [Property(MaxTest = 300)]
    public bool Adds_and_removes_give_what_a_sorted_set_gives(int[] ops)
    {
        var usages = SchemaUsages.Empty;
        var model = ImmutableSortedSet<SubjectVersionRef>.Empty;
        foreach (var op in ops)
        {
            // Few distinct usages, so that adds repeat and removes find what they remove.
            var usage = new SubjectVersionRef("s" + Math.Abs(op % 3), Math.Abs(op / 3 % 3) + 1);
            (usages, model) = op % 2 == 0 ? (usages.Add(usage), model.Add(usage)) : (usages.Remove(usage), model.Remove(usage));
            if (!usages.SequenceEqual(model) || usages.Count() != model.Count || usages.IsEmpty != model.IsEmpty) return false;
            if (!model.IsEmpty && usages.First != model.Min) return false;
        }
        return true;
    }

    [Fact]
    public void Nothing_is_first_of_no_usages() => Assert.Throws<InvalidOperationException>(() => SchemaUsages.Empty.First);

    [Property(MaxTest = 100)]
    public bool Adding_what_is_there_changes_nothing(int version)
    {
        var one = SchemaUsages.Empty.Add(new("s", version));
        var two = one.Add(new("t", version));
        return one.Add(new("s", version)).Equals(one) && two.Add(new("t", version)).SequenceEqual(two) && two.Remove(new("t", version)).Equals(one);
    }
}

using System.Collections.Immutable;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;

namespace Registry.Core.Tests;

/// <summary>Review decisions on their own: which policy governs a subject, who may approve, and what an approval appends.</summary>
public sealed class ReviewDecisionTests
{
    private static readonly RegistryDecider Decider = new(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), TimeProvider.System);
    private static readonly IReadOnlySet<string> Writer = new HashSet<string> { "reader", "writer" };
    private const string V1 = """{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}""";
    private const string V2 = """{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}""";

    private static RegistryState Apply(RegistryState state, IEnumerable<RegistryEvent> events) =>
        events.Aggregate(state, (s, e) => s.Apply(new LogEntry(s.Position + 1, e)));

    private static RegistryState With(RegistryState state, string subject, string schema, string? owner = null)
    {
        var metadata = owner is null ? null : new Metadata(null, ImmutableSortedDictionary<string, string>.Empty.Add("owner", owner), null);
        return Apply(state, Decider.Register(state, new RegisterCommand(subject, new SchemaInput(schema, null, null, metadata, null), null, null, false, false, ReviewBypass: true)).Events);
    }

    [Fact]
    public void The_subjects_own_policy_wins_then_the_longest_prefix_then_the_context()
    {
        var state = RegistryState.Empty;
        foreach (var (scope, n) in new[] { ("orders-*", 1), ("orders-eu-*", 2), (":.tenant:", 3), ("orders-eu-value", 4) })
            state = Apply(state, Decider.SetReviewPolicy(state, scope, new ReviewPolicy(n, [])).Events);
        Assert.Equal(4, state.ReviewPolicyFor("orders-eu-value")!.Value.Policy.RequiredApprovals);
        Assert.Equal(2, state.ReviewPolicyFor("orders-eu-key")!.Value.Policy.RequiredApprovals);
        Assert.Equal(1, state.ReviewPolicyFor("orders-us-value")!.Value.Policy.RequiredApprovals);
        Assert.Equal(3, state.ReviewPolicyFor(":.tenant:orders-x")!.Value.Policy.RequiredApprovals);
        Assert.Null(state.ReviewPolicyFor("payments-value"));
        Assert.Null(state.ReviewPolicyFor(":.other:orders-x"));
    }

    [Fact]
    public void Owners_named_in_the_metadata_approve_and_the_approval_appends_the_registration_with_the_proposal()
    {
        var state = With(RegistryState.Empty, "orders-value", V1, owner: "olga, oscar");
        state = Apply(state, Decider.SetReviewPolicy(state, "orders-value", new ReviewPolicy(1, [ReviewPolicy.OwnerApprover])).Events);
        Assert.Equal(RegistryDecider.ReviewRequired, Assert.Throws<RegistryException>(() =>
            Decider.Register(state, new RegisterCommand("orders-value", new SchemaInput(V2, null, null, null, null), null, null, false, false))).ErrorCode);

        var opened = Decider.Propose(state, new ProposeCommand("orders-value", new SchemaInput(V2, null, null, null, null), false, "b", "alice"));
        state = Apply(state, opened.Events);
        var id = opened.Result.Id;
        Assert.Equal(RegistryDecider.NotAnApprover, Assert.Throws<RegistryException>(() =>
            Decider.Review(state, new ReviewCommand(id, "walt", Writer, ProposalReview.Approve, null))).ErrorCode);
        var approved = Decider.Review(state, new ReviewCommand(id, "oscar", new HashSet<string> { "reader" }, ProposalReview.Approve, null));
        Assert.Equal(Proposal.Applied, approved.Result.State);
        Assert.Collection(approved.Events, e => Assert.IsType<SchemaRegistered>(e), e => Assert.Equal(Proposal.Applied, Assert.IsType<ProposalPut>(e).Proposal.State));
        state = Apply(state, approved.Events);
        Assert.Equal(2, state.Subjects["orders-value"].LatestLive!.Version);
        Assert.Equal(2, state.Proposals[id].AppliedVersion);
    }

    [Fact]
    public void A_later_request_for_changes_withdraws_the_reviewers_approval()
    {
        var state = With(RegistryState.Empty, "s", V1);
        state = Apply(state, Decider.SetReviewPolicy(state, "s", new ReviewPolicy(2, [])).Events);
        var opened = Decider.Propose(state, new ProposeCommand("s", new SchemaInput(V2, null, null, null, null), false, null, "alice"));
        state = Apply(state, opened.Events);
        var id = opened.Result.Id;
        state = Apply(state, Decider.Review(state, new ReviewCommand(id, "bob", Writer, ProposalReview.Approve, null)).Events);
        state = Apply(state, Decider.Review(state, new ReviewCommand(id, "bob", Writer, ProposalReview.RequestChanges, "no")).Events);
        var carol = Decider.Review(state, new ReviewCommand(id, "carol", Writer, ProposalReview.Approve, null));
        Assert.Equal(Proposal.Open, carol.Result.State);
        Assert.Equal(["carol"], RegistryDecider.ApprovedBy(carol.Result));
        Assert.Single(carol.Events);
    }
}

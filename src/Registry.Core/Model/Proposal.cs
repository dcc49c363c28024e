using System.Collections.Immutable;

namespace Registry.Core.Model;

/// <summary>
/// A proposed change to a subject's contract, reviewed before it is registered: the schema as it would be sent to
/// <c>POST /subjects/{s}/versions</c>, who proposed it and why, its reviews, and where it stands.
/// </summary>
public sealed record Proposal(
    long Id,
    string Subject,
    string SchemaType,
    string Schema,
    ImmutableArray<SchemaReference> References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    bool Normalize,
    string Description,
    string Proposer,
    long CreatedAt,
    int? BaseVersion,
    string State,
    string? StateReason,
    long UpdatedAt,
    ImmutableArray<ProposalReview> Reviews,
    int? AppliedVersion,
    int? AppliedId)
{
    public const string Open = "OPEN";
    public const string Approved = "APPROVED";
    public const string Applied = "APPLIED";
    public const string Rejected = "REJECTED";
    public const string Withdrawn = "WITHDRAWN";
    public const string Stale = "STALE";

    public static readonly string[] States = [Open, Approved, Applied, Rejected, Withdrawn, Stale];

    /// <summary>Whether reviews and changes are still taken (OPEN, or APPROVED but not yet applied).</summary>
    public bool IsPending => State is Open or Approved;
}

/// <summary>One review of a proposal: APPROVE, REQUEST_CHANGES or COMMENT, by whom, with what comment, when (ms).</summary>
public sealed record ProposalReview(string Reviewer, string Decision, string? Comment, long Timestamp)
{
    public const string Approve = "APPROVE";
    public const string RequestChanges = "REQUEST_CHANGES";
    public const string CommentOnly = "COMMENT";

    public static readonly string[] Decisions = [Approve, RequestChanges, CommentOnly];
}

/// <summary>
/// Four eyes on a subject, a prefix (<c>orders-*</c>) or a context (<c>:.tenant:</c>): how many approvals a change
/// needs and who may give them. An approver entry is a principal name, <c>role:writer</c> / <c>role:admin</c>, or
/// <c>owner</c> (the principals named in the subject's <c>metadata.properties.owner</c>, comma separated); no entries
/// means any writer of the subject. A proposer never approves their own change.
/// </summary>
public sealed record ReviewPolicy(int RequiredApprovals, ImmutableArray<string> Approvers)
{
    public const string OwnerApprover = "owner";
    public const string RolePrefix = "role:";

    /// <summary>Null when valid, else why not.</summary>
    public string? Problem()
    {
        if (RequiredApprovals is < 1 or > 10) return "requiredApprovals must be between 1 and 10";
        if (Approvers.IsDefault) return null;
        foreach (var a in Approvers)
        {
            if (string.IsNullOrWhiteSpace(a) || a.Length > 255 || a.Any(char.IsControl)) return "an approver must be a principal name, role:<role> or owner";
            if (a.StartsWith(RolePrefix, StringComparison.Ordinal) && a[RolePrefix.Length..] is not ("reader" or "writer" or "admin"))
                return $"'{Errors.Printable(a, 100)}' is not a role (role:reader, role:writer or role:admin)";
        }
        return null;
    }

    /// <summary>
    /// The policy that governs a subject, with its scope: the subject's own, else the longest prefix or context scope
    /// covering it; null when none does.
    /// </summary>
    public static (string Scope, ReviewPolicy Policy)? Governing(IEnumerable<KeyValuePair<string, ReviewPolicy>> policies, string subject)
    {
        (string Scope, ReviewPolicy Policy)? best = null;
        foreach (var (scope, policy) in policies)
        {
            if (scope == subject) return (scope, policy);
            if (Covers(scope, subject) && (best is null || scope.Length > best.Value.Scope.Length)) best = (scope, policy);
        }
        return best;
    }

    /// <summary>Whether a scope (a subject, <c>prefix*</c>, or a context <c>:.ctx:</c>) covers a subject.</summary>
    public static bool Covers(string scope, string subject) =>
        scope.EndsWith('*') ? subject.StartsWith(scope[..^1], StringComparison.Ordinal)
        : scope.Length > 0 && QualifiedSubject.Parse(scope).IsContextScope ? subject.StartsWith(scope, StringComparison.Ordinal)
        : scope == subject;
}

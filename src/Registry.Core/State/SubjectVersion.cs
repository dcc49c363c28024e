namespace Registry.Core.State;

/// <summary>One version of a subject.</summary>
public sealed record SubjectVersion(int Version, int Id, bool Deleted, long Timestamp);

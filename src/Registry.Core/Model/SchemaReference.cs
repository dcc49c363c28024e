namespace Registry.Core.Model;

/// <summary>A reference from one schema to a schema registered under another subject.</summary>
public sealed record SchemaReference(string Name, string Subject, int Version);

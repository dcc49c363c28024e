using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>One server shared by the REST tests; each test uses its own subjects.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<RegistryServer>
{
    public const string Name = "server";
}

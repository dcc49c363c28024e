using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>A per-context (tenant) subject limit.</summary>
public sealed class TenantLimitTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:MaxSubjectsPerContext=2", "--Registry:SubjectLimits:.big=3", "--Registry:SubjectLimits:.tiny=1"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_context_cannot_hold_more_subjects_than_its_limit_and_other_contexts_are_unaffected()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.t1:a/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.t1:b/versions", Body(Schemas.V1))).Status);
        var third = await _server.PostAsync("/subjects/:.t1:c/versions", Body(Schemas.V1));
        Assert.Equal(42205, third.ErrorCode);
        Assert.Contains("limit of 2 subjects", third.Body);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.t1:a/versions", Body(Schemas.V2))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.t2:a/versions", Body(Schemas.V1))).Status);
    }

    [Fact]
    public async Task A_tenant_can_have_its_own_limit()
    {
        foreach (var s in new[] { "a", "b", "c" })
            Assert.Equal(200, (await _server.PostAsync($"/subjects/:.big:{s}/versions", Body(Schemas.V1))).Status);
        Assert.Contains("limit of 3 subjects", (await _server.PostAsync("/subjects/:.big:d/versions", Body(Schemas.V1))).Body);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.tiny:a/versions", Body(Schemas.V1))).Status);
        Assert.Contains("limit of 1 subjects", (await _server.PostAsync("/subjects/:.tiny:b/versions", Body(Schemas.V1))).Body);
    }
}

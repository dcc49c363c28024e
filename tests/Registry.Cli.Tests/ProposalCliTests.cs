using System.Text.Json;
using Registry.Testing;

namespace Registry.Cli.Tests;

/// <summary><c>registry propose</c>, <c>proposals list|show</c>, and <c>apply</c> proposing under a review policy.</summary>
public sealed class ProposalCliTests
{
    private const string V1 = """{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}""";
    private const string V2 = """{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"note","type":"string","default":""}]}""";

    [Fact]
    public async Task Alice_proposes_from_CI_carol_approves_and_the_version_is_registered_once()
    {
        var users = TestUsers.Write(("alice", "a", "writer:orders-"), ("carol", "c", "writer:orders-"), ("root", "r", "admin"), ("ann", "n", "auditor"));
        await using var registry = await TestRegistry.StartAsync("--Registry:AuthMode=basic", $"--Registry:UsersFile={users}");
        Assert.Equal(0, (await Cli.RunAsync("register", Cli.Temp("order.avsc", V1), "-s", "orders-value", "--url", registry.Url, "--user", "root:r")).Code);
        Assert.Equal(200, (await registry.SendAsync(HttpMethod.Put, "/v1/review-policies/orders-*", """{"requiredApprovals":1}""", "root:r")).Status);
        var file = Cli.Temp("order.avsc", V2);

        // Registering directly is refused with the policy's name; proposing prints the page and a GitHub annotation.
        var direct = await Cli.RunAsync("register", file, "-s", "orders-value", "--url", registry.Url, "--user", "alice:a");
        Assert.NotEqual(0, direct.Code);
        Assert.Contains("review policy 'orders-*'", direct.Err);
        var proposed = await Cli.RunAsync("propose", file, "-s", "orders-value", "-d", "add a note", "-o", "github", "--url", registry.Url, "--user", "alice:a");
        Assert.True(proposed.Code == 0, proposed.ToString());
        Assert.Equal($"::notice file={file},title=Proposal 1 for orders-value::Review it at {registry.Url}/ui/proposals/1", proposed.Out.Trim());

        var list = await Cli.RunAsync("proposals", "list", "--state", "OPEN", "--url", registry.Url, "--user", "carol:c");
        Assert.Contains("OPEN       orders-value  by alice  0/1 approvals  add a note", list.Out);

        var self = await registry.SendAsync(HttpMethod.Post, "/v1/proposals/1/reviews", """{"decision":"APPROVE"}""", "alice:a");
        Assert.Equal(403, self.Status);
        var approved = await registry.SendAsync(HttpMethod.Post, "/v1/proposals/1/reviews", """{"decision":"APPROVE"}""", "carol:c");
        Assert.Equal(200, approved.Status);
        var show = await Cli.RunAsync("proposals", "show", "1", "--url", registry.Url, "--user", "alice:a");
        using var shown = JsonDocument.Parse(show.Out);
        Assert.Equal("APPLIED", shown.RootElement.GetProperty("state").GetString());
        Assert.Equal(2, shown.RootElement.GetProperty("appliedVersion").GetInt32());
        Assert.Equal((200, "[1,2]"), await registry.SendAsync(HttpMethod.Get, "/subjects/orders-value/versions", null, "alice:a"));
    }

    [Fact]
    public async Task Apply_proposes_the_changes_a_review_policy_covers_and_registers_the_others()
    {
        await using var registry = await TestRegistry.StartAsync();
        var contracts = Cli.CopyDirectory(Cli.Examples());
        Assert.Equal(0, (await Cli.RunAsync("apply", contracts, "--url", registry.Url)).Code);
        Assert.Equal(200, (await registry.SendAsync(HttpMethod.Put, "/v1/review-policies/address-value", """{"requiredApprovals":1}""")).Status);
        var address = Path.Combine(contracts, "address-value", "address.avsc");
        File.WriteAllText(address, File.ReadAllText(address).Replace("{ \"name\": \"zip\"", "{ \"name\": \"country\", \"type\": \"string\", \"default\": \"NL\" },\n    { \"name\": \"zip\"", StringComparison.Ordinal));

        var plan = await Cli.RunAsync("plan", contracts, "--url", registry.Url);
        Assert.True(plan.Code == 0, plan.ToString());
        Assert.Contains("needs review under the policy 'address-value' (1 approval(s)): apply opens a proposal", plan.Out);
        var apply = await Cli.RunAsync("apply", contracts, "--url", registry.Url);
        Assert.True(apply.Code == 0, apply.ToString());
        Assert.Contains($"proposal 1 OPEN for address-value: {registry.Url}/ui/proposals/1", apply.Out);
        Assert.Contains("Proposed 1 for review.", apply.Out);
        Assert.Equal("[1]", await registry.GetAsync("/subjects/address-value/versions"));
        Assert.Contains("registry apply: ", await registry.GetAsync("/v1/proposals/1"));
    }
}

namespace Registry.Cli.Tests;

/// <summary><c>registry plan</c> / <c>apply</c> on the example contracts repository.</summary>
public sealed class ContractsTests
{
    [Fact]
    public async Task Apply_registers_the_example_repository_and_a_second_apply_changes_nothing()
    {
        await using var registry = await TestRegistry.StartAsync();
        var examples = Cli.Examples();
        var plan = await Cli.RunAsync("plan", examples, "--url", registry.Url);
        Assert.True(plan.Code == 0, plan.ToString());
        Assert.Contains("address-value: new subject", plan.Out);
        // A new subject that references another new one is still a new subject; a new subject's diff is additions only.
        Assert.Contains("customer-value: new subject", plan.Out);
        Assert.DoesNotContain(plan.Out.Split('\n'), l => l.Trim() == "-");

        var apply = await Cli.RunAsync("apply", examples, "--url", registry.Url);
        Assert.True(apply.Code == 0, apply.ToString());
        Assert.Contains("registered payment-value version 1", apply.Out);
        Assert.Equal("[\"address-value\",\"customer-value\",\"order-events\",\"payment-value\"]", await registry.GetAsync("/subjects"));
        Assert.Contains("FULL", await registry.GetAsync("/config/address-value"));
        Assert.Contains("emailPresent", await registry.GetAsync("/subjects/customer-value/versions/1"));

        var again = await Cli.RunAsync("apply", examples, "--url", registry.Url);
        Assert.True(again.Code == 0, again.ToString());
        Assert.Contains("No changes.", again.Out);
        Assert.Equal("[1]", await registry.GetAsync("/subjects/order-events/versions"));
    }

    [Fact]
    public async Task An_incompatible_change_fails_the_plan_and_apply_writes_nothing()
    {
        await using var registry = await TestRegistry.StartAsync();
        var contracts = Cli.CopyDirectory(Cli.Examples());
        Assert.Equal(0, (await Cli.RunAsync("apply", contracts, "--url", registry.Url)).Code);

        var order = Path.Combine(contracts, "order-events", "order.json");
        File.WriteAllText(order, File.ReadAllText(order).Replace("\"amount\": { \"type\": \"number\", \"minimum\": 0 }", "\"amount\": { \"type\": \"string\" }", StringComparison.Ordinal));
        var address = Path.Combine(contracts, "address-value", "address.avsc");
        File.WriteAllText(address, File.ReadAllText(address).Replace("{ \"name\": \"zip\"", "{ \"name\": \"country\", \"type\": \"string\", \"default\": \"NL\" },\n    { \"name\": \"zip\"", StringComparison.Ordinal));

        var plan = await Cli.RunAsync("plan", contracts, "--url", registry.Url);
        Assert.True(plan.Code == ExitCodes.Incompatible, plan.ToString());
        Assert.Contains("order-events: new version, INCOMPATIBLE", plan.Out);
        Assert.Contains("TYPE_CHANGED", plan.Out);
        Assert.Contains("+ ", plan.Out);

        var apply = await Cli.RunAsync("apply", contracts, "--url", registry.Url);
        Assert.Equal(ExitCodes.Incompatible, apply.Code);
        Assert.Contains("Nothing was applied", apply.Err);
        Assert.Equal("[1]", await registry.GetAsync("/subjects/address-value/versions"));
        Assert.Equal("[1]", await registry.GetAsync("/subjects/order-events/versions"));
    }
}

using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Registry.Server.Hosting;
using Registry.Testing;

namespace Registry.Ui.Tests;

/// <summary>Four eyes in a real browser: alice opens a proposal, carol finds it in her queue and approves it.</summary>
[Collection(UiCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ProposalUiTests(UiFixture ui) : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "registry-ui-review-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private string _url = "";

    public async Task InitializeAsync()
    {
        var users = TestUsers.Write(("alice", "a", "writer:orders-"), ("carol", "c", "writer:orders-"), ("root", "r", "admin"));
        _app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", _data, "--Logging:LogLevel:Default=Warning",
            "--Registry:AuthMode=basic", $"--Registry:UsersFile={users}"]);
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(_url) };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("root:r"u8.ToArray()));
        (await http.PostAsync("/subjects/orders-value/versions", new StringContent(
            """{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        (await http.PutAsync("/v1/review-policies/orders-*", new StringContent("""{"requiredApprovals":1,"approvers":["carol"]}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }

    private async Task<IPage> As(string user, string password) =>
        await (await ui.Browser.NewContextAsync(new BrowserNewContextOptions { HttpCredentials = new HttpCredentials { Username = user, Password = password } })).NewPageAsync();

    [Fact]
    public async Task A_proposal_opened_in_the_UI_is_approved_from_the_reviewers_queue_and_registered()
    {
        var alice = await As("alice", "a");
        await alice.GotoAsync(_url + "/ui/subjects/orders-value/propose");
        await alice.FillAsync("#schema", """{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"note","type":"string","default":""}]}""");
        await alice.ClickAsync("#check");
        Assert.Contains("Compatible", await alice.Locator("#verdict").InnerTextAsync());
        Assert.Contains("orders-*", await alice.Locator("#policy").InnerTextAsync());
        Assert.Equal(0, await alice.Locator("#register").CountAsync());
        await alice.FillAsync("#description", "orders need a note");
        await alice.ClickAsync("#open-proposal");
        Assert.EndsWith("/ui/proposals/1", alice.Url);
        Assert.Contains("OPEN", await alice.Locator("#state").InnerTextAsync());
        Assert.Equal("alice", await alice.Locator("#proposer").InnerTextAsync());
        Assert.Contains("0 of 1 approval", await alice.Locator("#approvals").InnerTextAsync());
        Assert.Contains("note", string.Join("\n", await alice.Locator(".add").AllInnerTextsAsync()));
        // The proposer cannot approve, but can withdraw; the subject page lists the open proposal.
        Assert.Equal(0, await alice.Locator("#approve").CountAsync());
        Assert.Equal(1, await alice.Locator("#withdraw").CountAsync());
        await alice.GotoAsync(_url + "/ui/subjects/orders-value");
        Assert.Contains("orders need a note", await alice.Locator("#open-proposals").InnerTextAsync());
        await alice.GotoAsync(_url + "/ui/proposals");
        Assert.Contains("orders-value", await alice.Locator("#mine").InnerTextAsync());
        Assert.Equal("Nothing waits for your review.", await alice.Locator("#waiting").InnerTextAsync());
        await UiFixture.ScreenshotAsync(alice, "proposal-open");

        var carol = await As("carol", "c");
        await carol.GotoAsync(_url + "/ui/subjects");
        await carol.ClickAsync("#nav-reviews");
        await carol.Locator("#waiting a").First.ClickAsync();
        Assert.Contains("Compatible at BACKWARD", await carol.Locator("#verdict").InnerTextAsync());
        await carol.FillAsync("#comment", "fine, the default keeps old readers working");
        await carol.ClickAsync("#approve");
        Assert.Contains("APPLIED", await carol.Locator("#state").InnerTextAsync());
        Assert.Contains("registered as version 2", await carol.Locator("#state").InnerTextAsync());
        Assert.Contains("fine, the default", await carol.Locator("#reviews").InnerTextAsync());
        await UiFixture.ScreenshotAsync(carol, "proposal-applied");
        await carol.GotoAsync(_url + "/ui/subjects/orders-value");
        Assert.Contains("v2", await carol.Locator("#versions tr.current").InnerTextAsync());
        Assert.Equal(0, await carol.Locator("#open-proposals").CountAsync());
    }
}

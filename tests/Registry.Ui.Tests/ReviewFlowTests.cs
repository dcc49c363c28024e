using Microsoft.Playwright;

namespace Registry.Ui.Tests;

/// <summary>A reviewer's path through the UI in a real browser.</summary>
[Collection(UiCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ReviewFlowTests(UiFixture ui)
{
    [Fact]
    public async Task Subjects_are_listed_searched_and_paged()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.Url + "/ui");
        Assert.Contains("/ui/subjects", page.Url);
        Assert.Equal(50, await page.Locator("#subjects tr").CountAsync() - 1);
        Assert.Contains("page 1 of 2", await page.Locator("nav.pages").InnerTextAsync());
        await UiFixture.ScreenshotAsync(page, "subjects");

        await page.FillAsync("input[name=q]", "pay");
        await page.ClickAsync("button[type=submit]");
        var rows = page.Locator("#subjects tr");
        Assert.Equal(2, await rows.CountAsync());
        Assert.Contains("payments-value", await rows.Nth(1).InnerTextAsync());
        Assert.Contains("PII", await rows.Nth(1).InnerTextAsync());

        await page.GotoAsync(ui.Url + "/ui/subjects?q=nothing-like-this");
        Assert.Contains("No subjects match", await page.Locator("main").InnerTextAsync());
    }

    [Fact]
    public async Task A_subject_page_shows_versions_schema_contract_and_references()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.Url + "/ui/subjects");
        await page.ClickAsync("text=address-value");
        var main = await page.Locator("main").InnerTextAsync();
        Assert.Contains("Used by", main);
        Assert.Contains("customer-value v1", main);
        await page.ClickAsync("text=customer-value v1");
        Assert.Contains("shop.Address → address-value v1", await page.Locator("main").InnerTextAsync());

        await page.GotoAsync(ui.Url + "/ui/subjects/payments-value");
        main = await page.Locator("main").InnerTextAsync();
        Assert.Contains("v2", main);
        Assert.Contains("team-payments", main);
        Assert.Contains("\"amount\"", main);
        await UiFixture.ScreenshotAsync(page, "subject");
    }

    [Fact]
    public async Task Diffing_two_versions_highlights_the_change_and_gives_the_verdict()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.Url + "/ui/subjects/payments-value");
        await page.ClickAsync("text=diff with v1");
        Assert.Contains("compatible", await page.Locator("#verdict").InnerTextAsync());
        var added = page.Locator(".diff .add");
        Assert.True(await added.CountAsync() > 0);
        Assert.Contains("amount", string.Join("\n", await added.AllInnerTextsAsync()));
        await UiFixture.ScreenshotAsync(page, "diff");
    }

    [Fact]
    public async Task Proposing_an_incompatible_change_explains_why_and_a_compatible_one_can_be_registered()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.Url + "/ui/subjects/payments-value/propose");
        await page.FillAsync("#schema", """{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"id","type":"long"}]}""");
        await page.ClickAsync("#check");
        var verdict = await page.Locator("#verdict").InnerTextAsync();
        Assert.Contains("Not compatible", verdict);
        Assert.Contains("TYPE_MISMATCH", verdict);
        // Sentences, not Confluent's raw message strings.
        Assert.DoesNotContain("{oldSchema", verdict);
        Assert.DoesNotContain("validateFields", verdict);
        Assert.DoesNotContain("errorType", verdict);
        Assert.Equal(0, await page.Locator("#register").CountAsync());
        await UiFixture.ScreenshotAsync(page, "propose-incompatible");

        await page.FillAsync("#schema", """{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double","default":0},{"name":"currency","type":"string","default":"EUR"}]}""");
        await page.ClickAsync("#check");
        Assert.Contains("Compatible", await page.Locator("#verdict").InnerTextAsync());
        await page.ClickAsync("#register");
        Assert.Contains("version=3", page.Url);
        Assert.Contains("currency", await page.Locator("main").InnerTextAsync());
        // The version shown is marked, and the table says who registered it.
        Assert.Contains("v3", await page.Locator("#versions tr.current").InnerTextAsync());
        Assert.Contains("anonymous", await page.Locator("#versions tr.current").InnerTextAsync());

        await page.GotoAsync(ui.Url + "/ui/subjects?q=payments");
        Assert.Contains("v3", await page.Locator("#subjects").InnerTextAsync());
    }

    [Fact]
    public async Task Bad_input_gives_clear_messages_in_the_page()
    {
        var page = await ui.NewPageAsync();
        var missing = await page.GotoAsync(ui.Url + "/ui/subjects/no-such-subject");
        Assert.Equal(404, missing!.Status);
        Assert.Contains("does not exist", await page.Locator("main").InnerTextAsync());

        await page.GotoAsync(ui.Url + "/ui/subjects/address-value/propose");
        await page.FillAsync("#schema", "{\"type\":\"record\",");
        await page.ClickAsync("#check");
        Assert.Contains("Invalid schema", await page.Locator("#verdict").InnerTextAsync());

        await page.GotoAsync(ui.Url + "/ui/subjects/address-value/propose");
        await page.EvaluateAsync("() => document.querySelector('#schema').value = 'x'.repeat(1100000)");
        await page.ClickAsync("#check");
        Assert.Contains("the limit is", await page.Locator("#verdict").InnerTextAsync());
        Assert.DoesNotContain("   at ", await page.ContentAsync());
    }

    [Fact]
    public async Task A_form_on_another_site_that_posts_to_the_registry_is_refused()
    {
        var page = await ui.NewPageAsync();
        // A page that is not the registry's, with a form aimed at the register endpoint (the browser sends no token).
        await page.SetContentAsync($"""
            <form method="post" action="{ui.Url}/ui/subjects/forged-value/register">
              <input type="hidden" name="schema" value='"string"'><input type="hidden" name="schemaType" value="AVRO">
              <button id="go" type="submit">win a prize</button>
            </form>
            """);
        var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#go"), r => r.Url.EndsWith("/register", StringComparison.Ordinal));
        Assert.True(response.Status is 400 or 403, $"status {response.Status}");
        Assert.Contains("refused", await page.Locator("main").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(ui.Url + "/subjects/forged-value/versions")).StatusCode);
    }

    [Fact]
    public async Task A_check_at_another_level_than_the_subjects_offers_no_register_button()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.Url + "/ui/subjects/address-value/propose");
        // Incompatible at the subject's level, compatible at NONE.
        await page.FillAsync("#schema", """{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"street","type":"int"}]}""");
        await page.SelectOptionAsync("select[name=level]", "NONE");
        await page.ClickAsync("#check");
        Assert.Contains("Compatible at NONE", await page.Locator("#verdict").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#register").CountAsync());
        Assert.Contains("to register", await page.Locator("#register-hint").InnerTextAsync());
    }
}

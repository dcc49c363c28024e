using System.Net;
using System.Text.RegularExpressions;
using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>The review UI against cross-site request forgery, and the security headers on UI and API answers.</summary>
public sealed partial class UiSecurityTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    [GeneratedRegex("name=\"__antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [Fact]
    public async Task A_register_form_from_another_site_or_without_the_token_is_refused_and_registers_nothing()
    {
        var schema = Schemas.Record("Csrf", Schemas.Field("a", "string"));
        using (var evil = new HttpRequestMessage(HttpMethod.Post, "/ui/subjects/csrf-value/register") { Content = Form(("schema", schema), ("schemaType", "AVRO")) })
        {
            evil.Headers.Add("Origin", "http://evil.example");
            using var refused = await _server.Http.SendAsync(evil);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var tokenless = await _server.Http.PostAsync("/ui/subjects/csrf-value/register", Form(("schema", schema), ("schemaType", "AVRO"))))
            Assert.Equal(HttpStatusCode.BadRequest, tokenless.StatusCode);
        Assert.Equal(40401, (await _server.GetAsync("/subjects/csrf-value/versions")).ErrorCode);

        // The site's own form carries the token (and its cookie): that post registers.
        var page = await _server.Http.GetStringAsync("/ui/subjects/csrf-value/propose");
        var token = TokenField().Match(page).Groups[1].Value;
        Assert.NotEmpty(token);
        using var checkedPage = await _server.Http.PostAsync("/ui/subjects/csrf-value/propose", Form(("__antiforgery", WebUtility.HtmlDecode(token)), ("schema", schema), ("schemaType", "AVRO")));
        var verdict = await checkedPage.Content.ReadAsStringAsync();
        Assert.Contains("Compatible", verdict);
        var registerToken = WebUtility.HtmlDecode(TokenField().Match(verdict[verdict.IndexOf("/register", StringComparison.Ordinal)..]).Groups[1].Value);
        using var registered = await _server.Http.PostAsync("/ui/subjects/csrf-value/register", Form(("__antiforgery", registerToken), ("schema", schema), ("schemaType", "AVRO")));
        Assert.True(registered.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, registered.StatusCode.ToString());
        Assert.Equal("[1]", (await _server.GetAsync("/subjects/csrf-value/versions")).Body);
    }

    [Fact]
    public async Task The_ui_has_a_strict_policy_and_the_api_no_sniffing_or_framing()
    {
        using var ui = await _server.Http.GetAsync("/ui/subjects");
        var policy = string.Join(";", ui.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("DENY", ui.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", ui.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", ui.Headers.GetValues("Referrer-Policy").Single());
        var html = await ui.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<style", html);
        Assert.DoesNotContain("<script", html);
        Assert.Equal("text/css", (await _server.Http.GetAsync("/ui/registry.css")).Content.Headers.ContentType?.MediaType);

        using var api = await _server.Http.GetAsync("/subjects");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", api.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task A_registration_the_registry_refuses_shows_the_proposal_again_with_the_pasted_schema()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/kept-value/versions", RegistryServer.Body(Schemas.V1))).Status);
        var page = await _server.Http.GetStringAsync("/ui/subjects/kept-value/propose");
        var token = WebUtility.HtmlDecode(TokenField().Match(page).Groups[1].Value);
        // A post of an incompatible schema straight to register (as a stale page would send it).
        using var refused = await _server.Http.PostAsync("/ui/subjects/kept-value/register", Form(("__antiforgery", token), ("schema", Schemas.Breaking), ("schemaType", "AVRO")));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Not registered", html);
        Assert.Contains(WebUtility.HtmlEncode(Schemas.Breaking), html);
        Assert.Equal("[1]", (await _server.GetAsync("/subjects/kept-value/versions")).Body);
    }
}

namespace Registry.Server.Http;

/// <summary>
/// Headers a security review expects on every answer: no MIME sniffing, no referrer off the site, no framing; the review UI also
/// gets a strict Content-Security-Policy (no inline script or style: the stylesheet is <c>/ui/registry.css</c>, forms
/// post only to this origin).
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    private const string UiPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    private const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        // Set as the answer starts, so an error answer (which clears the headers) gets them too; a static callback with the
        // context as its state allocates nothing per request.
        context.Response.OnStarting(static state => Add((HttpContext)state), context);
        return next(context);
    }

    private static Task Add(HttpContext context)
    {
        var ui = context.Request.Path.StartsWithSegments("/ui");
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // The UI keeps the referrer within the site: with no-referrer a browser sends "Origin: null" on its own form posts.
        headers["Referrer-Policy"] = ui ? "same-origin" : "no-referrer";
        headers.ContentSecurityPolicy = ui ? UiPolicy : ApiPolicy;
        if (ui) headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }
}

namespace Registry.Server.Http;

/// <summary>406 for an Accept header we cannot satisfy, 415 for a body type we do not read.</summary>
internal sealed class ContentNegotiationMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!IsApi(context.Request.Path)) return next(context);
        if (MediaTypes.Negotiate(context.Request.Headers.Accept) is null)
            return RegistryJson.Error(StatusCodes.Status406NotAcceptable, 406, "HTTP 406 Not Acceptable").ExecuteAsync(context);
        if ((HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
            && !MediaTypes.IsAcceptedRequestType(context.Request.ContentType))
        {
            return RegistryJson.Error(StatusCodes.Status415UnsupportedMediaType, 415, "HTTP 415 Unsupported Media Type").ExecuteAsync(context);
        }
        return next(context);
    }

    /// <summary>The content type to answer with: the one the Accept header prefers (negotiated again: its answer is remembered), else v1.</summary>
    public static string ResponseType(HttpContext context) => MediaTypes.Negotiate(context.Request.Headers.Accept) ?? MediaTypes.V1;

    private static bool IsApi(PathString path) =>
        !path.StartsWithSegments("/health") && !path.StartsWithSegments("/metrics") && !path.StartsWithSegments("/ui");
}

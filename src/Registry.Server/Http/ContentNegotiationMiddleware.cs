namespace Registry.Server.Http;

/// <summary>406 for an Accept header we cannot satisfy, 415 for a body type we do not read; remembers the response type.</summary>
internal sealed class ContentNegotiationMiddleware(RequestDelegate next)
{
    private const string Key = "registry.responseType";

    public Task InvokeAsync(HttpContext context)
    {
        if (!IsApi(context.Request.Path)) return next(context);
        var type = MediaTypes.Negotiate(context.Request.Headers.Accept);
        if (type is null)
        {
            context.Items[Key] = MediaTypes.V1;
            return RegistryJson.Error(StatusCodes.Status406NotAcceptable, 406, "HTTP 406 Not Acceptable").ExecuteAsync(context);
        }
        context.Items[Key] = type;
        if ((HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
            && !MediaTypes.IsAcceptedRequestType(context.Request.ContentType))
        {
            return RegistryJson.Error(StatusCodes.Status415UnsupportedMediaType, 415, "HTTP 415 Unsupported Media Type").ExecuteAsync(context);
        }
        return next(context);
    }

    public static string ResponseType(HttpContext context) => context.Items[Key] as string ?? MediaTypes.V1;

    private static bool IsApi(PathString path) =>
        !path.StartsWithSegments("/health") && !path.StartsWithSegments("/metrics") && !path.StartsWithSegments("/ui");
}

using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;

namespace Registry.Server.Http;

/// <summary>
/// Confluent's context-scoped URLs: everything under <c>/contexts/{context}/</c> acts on that context, so a client
/// whose <c>schema.registry.url</c> ends in <c>/contexts/.t1</c> works unchanged. The request is rewritten before
/// routing, access control and audit, so they all see the qualified subject:
/// <c>/contexts/.t1/subjects/s/versions</c> is <c>/subjects/:.t1:s/versions</c>, <c>/contexts/.t1/subjects</c> lists
/// with <c>subjectPrefix=:.t1:</c>, <c>/contexts/.t1/config</c> is the context's config (<c>/config/:.t1:</c>), and
/// <c>/contexts/:.:/…</c> is the default context. Ids are per context, so <c>/contexts/.t1/schemas/ids/1</c> is
/// <c>/schemas/ids/1?subject=:.t1:</c> (a <c>subject</c> given without a context is qualified with it). Under
/// <c>/contexts/.t1/dek-registry/v1/…</c> a DEK's subject is qualified, as Confluent's ContextFilter does; KEKs are not.
/// </summary>
internal sealed class ContextPathMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path is null || !path.StartsWith("/contexts/", StringComparison.Ordinal)) return next(context);
        var segments = path.Split('/');
        // ["", "contexts", ctx, resource, ...]: /contexts and /contexts/{ctx} alone are endpoints of their own.
        if (segments.Length < 4 || segments[3].Length == 0) return next(context);
        var name = segments[2].Trim(':');
        var qualifier = name is "" or "." ? "" : $":{(name.StartsWith('.') ? name : "." + name)}:";
        var rest = segments[3..];
        string? rewritten = rest[0] switch
        {
            "subjects" or "config" or "mode" => Scoped(rest, 1, qualifier),
            "compatibility" when rest.Length > 1 && rest[1] == "subjects" => Scoped(rest, 2, qualifier),
            "schemas" => "/" + string.Join('/', rest),
            // The DEK registry: KEKs are not per context; a DEK's subject is (…/keks/{kek}/deks/{subject}…).
            "dek-registry" when rest.Length > 5 && rest[4] == "deks" && rest[5].Length > 0 => Scoped(rest, 5, qualifier),
            "dek-registry" => "/" + string.Join('/', rest),
            _ => null,
        };
        if (rewritten is null) return next(context);
        context.Request.Path = new PathString(rewritten);
        if (qualifier.Length == 0) return next(context);
        if (rest.Length == 1 && rest[0] is "subjects" or "schemas")
        {
            // Listings of the context: its subjects only, as qualified names.
            QualifyQuery(context, "subjectPrefix", qualifier);
        }
        else if (rest.Length > 2 && rest[0] == "schemas" && rest[1] == "ids")
        {
            // An id means the context's id: the subject hint names the context.
            QualifyQuery(context, "subject", qualifier);
        }
        return next(context);
    }

    private static void QualifyQuery(HttpContext context, string name, string qualifier)
    {
        var given = context.Request.Query[name].ToString();
        if (given.StartsWith(":.", StringComparison.Ordinal) || given.StartsWith(":*:", StringComparison.Ordinal)) return;
        SetQuery(context, name, qualifier + given);
    }

    /// <summary>Replaces one query parameter of the request (the rewrites above and the alias rewrite use it).</summary>
    internal static void SetQuery(HttpContext context, string name, string value)
    {
        var query = QueryHelpers.ParseQuery(context.Request.QueryString.Value);
        query[name] = value;
        context.Request.QueryString = new QueryBuilder(query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? "")))).ToQueryString();
    }

    /// <summary>The path with the subject at <paramref name="at"/> qualified, or the context itself when there is no subject.</summary>
    private static string Scoped(string[] parts, int at, string qualifier)
    {
        if (parts.Length > at && parts[at].Length > 0)
        {
            var subject = parts[at];
            if (qualifier.Length > 0 && !subject.StartsWith(":.", StringComparison.Ordinal) && !subject.StartsWith(":*:", StringComparison.Ordinal))
                parts[at] = qualifier + subject;
        }
        else if (parts[0] is "config" or "mode" && qualifier.Length > 0)
        {
            // /contexts/.t1/config is the context-level config.
            parts = [parts[0], qualifier];
        }
        return "/" + string.Join('/', parts);
    }
}

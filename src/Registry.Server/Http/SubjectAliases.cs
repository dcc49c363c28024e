using Registry.Core;
using Registry.Core.Model;
using Registry.Server.Hosting;

namespace Registry.Server.Http;

/// <summary>
/// Confluent's AliasFilter: a subject whose own config names an <c>alias</c> stands for that subject on every
/// <c>…/subjects/{subject}…</c> endpoint and in the <c>subject</c> hint of <c>/schemas/ids</c>; an alias without a
/// context is in the aliasing subject's context. <c>/config/{subject}</c> is left alone, so the alias stays manageable.
/// Runs after the context-path rewrite and before routing and access control, which therefore see the real subject.
/// </summary>
internal sealed class SubjectAliasMiddleware(RequestDelegate next, RegistryService registry)
{
    // Configs change seldom: a read checks the one it was worked out for by reference, so a read of a registry with
    // configs but no alias splits no path (750 against 534 bytes per `latest`, measured: docs/performance.md).
    private volatile AliasPresence _aliases = new(Core.State.RegistryState.Empty.Configs, Any: false);

    private sealed record AliasPresence(System.Collections.Immutable.ImmutableSortedDictionary<string, SubjectConfig> Configs, bool Any);

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path is null || (!path.Contains("/s", StringComparison.Ordinal) && !path.StartsWith("/dek-registry/", StringComparison.Ordinal))) return next(context);
        Core.State.RegistryState state;
        try
        {
            state = registry.State;
        }
        catch (RegistryException)
        {
            return next(context);
        }
        if (!AnyAlias(state)) return next(context);

        var segments = path.Split('/');
        var changed = false;
        // A DEK's subject follows the subject's aliasForDeks, else its alias (Confluent's AliasFilter).
        var deks = segments.Length > 1 && segments[1] == "dek-registry";
        var subjectSegment = deks ? "deks" : "subjects";
        for (var i = 1; i + 1 < segments.Length; i++)
        {
            if (segments[i] != subjectSegment || segments[i + 1].Length == 0) continue;
            if (AliasOf(state, SubjectPath.Decode(segments[i + 1]), deks) is { } target)
            {
                segments[i + 1] = target.Replace("/", "%2F", StringComparison.Ordinal);
                changed = true;
            }
            break;
        }
        if (changed) context.Request.Path = new PathString(string.Join('/', segments));
        else if (path.StartsWith("/schemas/ids/", StringComparison.Ordinal) && context.Request.Query["subject"].ToString() is { Length: > 0 } hint
            && AliasOf(state, hint, deks: false) is { } aliased)
        {
            ContextPathMiddleware.SetQuery(context, "subject", aliased);
        }
        return next(context);
    }

    /// <summary>Whether some subject's config names an alias; worked out again only when the configs change.</summary>
    private bool AnyAlias(Core.State.RegistryState state)
    {
        var known = _aliases;
        if (ReferenceEquals(known.Configs, state.Configs)) return known.Any;
        var any = state.Configs.Values.Any(c => c.Alias is { Length: > 0 } || c.AliasForDeks is { Length: > 0 });
        _aliases = new AliasPresence(state.Configs, any);
        return any;
    }

    private static string? AliasOf(Core.State.RegistryState state, string subject, bool deks)
    {
        var name = QualifiedSubject.Normalize(subject);
        var config = state.Configs.GetValueOrDefault(name);
        return (deks && config?.AliasForDeks is { Length: > 0 } ? config.AliasForDeks : config?.Alias) is { Length: > 0 } alias
            ? QualifiedSubject.QualifyIn(QualifiedSubject.Parse(name).Context, alias)
            : null;
    }
}

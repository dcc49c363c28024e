using System.Security.Claims;
using System.Text;
using Registry.Core;
using Registry.Core.Security;
using Registry.Server.Hosting;

namespace Registry.Server.Security;

/// <summary>
/// Authentication (HTTP basic against the users file, bearer JWT, or a TLS client certificate whose common
/// name is a user in the users file), then authorization of the operation a request means
/// (not of its route text): reading a subject, writing it, configuring it, or the global scope. Wrong or
/// missing credentials are 401; a denied operation is 403 with error_code 40301.
/// </summary>
internal sealed partial class AccessControl(RequestDelegate next, AccessControl.Settings settings, RegistryService registry, ILogger<AccessControl> logger)
{
    /// <summary>
    /// The users file, the JWT validator (null when bearer tokens are not accepted) and whether a client
    /// certificate (already verified against the client CA during the TLS handshake) identifies its caller.
    /// </summary>
    public sealed record Settings(IReadOnlyDictionary<string, UserEntry> Users, JwtValidator? Jwt, bool Certificates = false,
        System.Threading.RateLimiting.PartitionedRateLimiter<string>? FailedSignIns = null, LdapDirectory? Ldap = null,
        VerifiedCredentials? Verified = null);

    private readonly IReadOnlyDictionary<string, UserEntry> users = settings.Users;
    private readonly JwtValidator? jwt = settings.Jwt;
    private readonly bool certificates = settings.Certificates;
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string>? failedSignIns = settings.FailedSignIns;
    private readonly LdapDirectory? ldap = settings.Ldap;
    private readonly VerifiedCredentials? verified = settings.Verified;

    // A users-file user's principal, made at its first sign-in: nothing changes a principal afterwards, and a new one per
    // request was a fifth of what an authenticated read allocated (docs/performance.md).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<UserEntry, ClaimsPrincipal> principals = new();

    // Verifying against this when the user is unknown costs the same as a wrong password: no timing leak.
    private static readonly string DummyHash = PasswordHash.Create(Guid.NewGuid().ToString());

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics"))
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (header.Length > 0 && failedSignIns?.GetStatistics(address) is { CurrentAvailablePermits: <= 0 })
        {
            await Http.RateLimits.Reject(context, TimeSpan.FromSeconds(10));
            return;
        }
        UserEntry? user;
        Authentication attempt;
        if (jwt is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            user = await jwt.ValidateAsync(header[7..].Trim(), context.RequestAborted);
            // An unverified token's claims are not trusted, so a failed bearer attempt names nobody.
            attempt = new Authentication(user?.Name ?? "anonymous", "jwt", jwt.Issuer, user is not null);
        }
        else if (header.Length == 0 && certificates && context.Connection.ClientCertificate is { } certificate)
        {
            var name = CommonName(certificate);
            user = users.GetValueOrDefault(name);
            attempt = new Authentication(name, "mtls", certificate.Issuer, user is not null);
        }
        else
        {
            string? name;
            string method = "basic";
            try
            {
                (name, user, method) = Authenticate(header);
            }
            catch (DirectoryUnavailableException e)
            {
                // The directory cannot say who this is: a clear 503, never a sign-in. The log says why (TLS, timeout...).
                LogDirectoryUnavailable(logger, e.InnerException?.Message ?? e.Message);
                context.Items[typeof(Authentication)] = new Authentication("anonymous", "ldap", null, Verified: false);
                await Http.RegistryJson.Error(503, 50003, e.Message).ExecuteAsync(context);
                return;
            }
            attempt = new Authentication(name ?? "anonymous", name is null ? "none" : method, null, user is not null);
        }
        context.Items[typeof(Authentication)] = attempt;
        if (user is null)
        {
            // Only presented credentials that fail count: a request without any is simply asked for them.
            if (header.Length > 0 || attempt.Method == "mtls") failedSignIns?.AttemptAcquire(address).Dispose();
            context.Response.Headers.WWWAuthenticate = jwt is null ? "Basic realm=\"registry\"" : "Basic realm=\"registry\", Bearer";
            await Http.RegistryJson.Error(401, 401, "Unauthorized: missing or wrong credentials").ExecuteAsync(context);
            return;
        }
        context.User = PrincipalOf(user, attempt.Method);
        context.Items[typeof(UserEntry)] = user;
        var (role, subject) = Operation(context, registry);
        if (role == "list")
        {
            // Listings are open to every user with a grant; the endpoints show only what the user may read.
            role = user.Grants.Count > 0 ? null : "reader";
        }
        else if (role == "schema-by-id")
        {
            // Readable when the user may read some subject using the id; otherwise the same answer as a missing id.
            var state = registry.State;
            var readable = int.TryParse(subject, out var n) && n > 0 && TryFindById(state, n, context.Request.Query["subject"], user) is { } key
                && state.UsagesOf(key).Any(u => user.Grants.Any(g => g.Allows("reader", u.Subject)));
            if (!readable)
            {
                await Http.RegistryJson.Error(404, Errors.SchemaNotFound, $"Schema {Errors.Printable(subject ?? "", 50)} not found").ExecuteAsync(context);
                return;
            }
            role = null;
        }
        if (role is not null && !user.Grants.Any(g => g.Allows(role, subject ?? "")))
        {
            await Http.RegistryJson.Error(403, 40301, $"User '{user.Name}' is not allowed to {Verb(role)} {(subject is null or "" ? "the registry" : $"subject '{Errors.Printable(subject)}'")}").ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The principal of a user signed in by <paramref name="method"/>, its authentication type the scheme that signed it in.
    /// Users of the users file (basic, mtls) are the same objects on every request, so theirs is kept; a JWT or LDAP sign-in
    /// makes a new user each time, and a new principal.
    /// </summary>
    private ClaimsPrincipal PrincipalOf(UserEntry user, string method)
    {
        var authenticationType = method switch { "mtls" => "Certificate", "jwt" => "Bearer", _ => "Basic" };
        var kept = method is "basic" or "mtls";
        if (kept && principals.TryGetValue(user, out var known) && known.Identity?.AuthenticationType == authenticationType) return known;
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name)], authenticationType));
        if (kept) principals.AddOrUpdate(user, principal);
        return principal;
    }

    /// <summary>
    /// The schema a request sends for <paramref name="subject"/>, once the caller may read every subject it references:
    /// a reference to a subject the caller may not read is answered exactly as a reference to a missing one, so
    /// references neither reveal other tenants' versions nor pin them.
    /// </summary>
    public static Core.Decisions.SchemaInput InputOf(HttpContext context, string subject, Contracts.RegisterSchemaRequest body)
    {
        var referrerContext = Core.Model.QualifiedSubject.Parse(subject).Context;
        foreach (var r in body.References ?? [])
        {
            if (string.IsNullOrEmpty(r.Subject) || string.IsNullOrEmpty(r.Name)) continue;
            if (!CanRead(context, Core.Model.QualifiedSubject.QualifyIn(referrerContext, r.Subject)))
                throw Errors.MissingReferenceError(r.Name, r.Subject, r.Version);
        }
        return body.ToInput();
    }

    /// <summary>The subjects a user may read, for filtering listings.</summary>
    public static bool CanRead(HttpContext context, string subject) => Allows(context, "reader", subject);

    /// <summary>
    /// Which subjects the caller may read, for a lookup that may go on into other contexts; null (every subject) when
    /// authentication is off, so a read allocates no filter.
    /// </summary>
    public static Func<string, bool>? ReadFilter(HttpContext context) => UserOf(context) is { } user ? Readable(user) : null;

    private static Func<string, bool> Readable(UserEntry user) => s => Holds(user, "reader", s);

    private static UserEntry? UserOf(HttpContext context) => ItemOf<UserEntry>(context);

    /// <summary>
    /// What sign-in left in the request's items under its type (the user, the <see cref="Authentication"/>), looked up
    /// without creating the items when nothing set any (authentication off): a read allocates none.
    /// </summary>
    internal static T? ItemOf<T>(HttpContext context) where T : class =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IItemsFeature>()?.Items[typeof(T)] as T;

    /// <summary>Whether the user may write a subject, for an endpoint that learns its subject from the body.</summary>
    public static bool CanWrite(HttpContext context, string subject) => Allows(context, "writer", subject);

    /// <summary>Whether the caller holds <paramref name="role"/> on a subject; every role when authentication is off.</summary>
    public static bool Allows(HttpContext context, string role, string subject) =>
        UserOf(context) is not { } user || Holds(user, role, subject);

    private static bool Holds(UserEntry user, string role, string subject) => user.Grants.Any(g => g.Allows(role, subject));

    /// <summary>
    /// HTTP basic credentials: the name they claim (null when there are none), the user when the password matches, and
    /// how it was checked. A name the users file holds is checked there; any other against the directory when one is
    /// configured (which throws <see cref="DirectoryUnavailableException"/> when it cannot be asked).
    /// </summary>
    private (string? Name, UserEntry? User, string Method) Authenticate(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return (null, null, "basic");
        // "name:password" decoded on the stack (the usual header is short): a remembered sign-in makes no string of the password.
        var encoded = header.AsSpan(6).Trim();
        var buffer = encoded.Length <= 512 ? stackalloc byte[512] : new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written)) return (null, null, "basic");
        var credentials = buffer[..written];
        // A ':' byte is always the character (never part of a multi-byte sequence), so this splits where the text would.
        var colon = credentials.IndexOf((byte)':');
        if (colon <= 0) return (null, null, "basic");
        var name = Encoding.UTF8.GetString(credentials[..colon]);
        if (ldap is not null && !users.ContainsKey(name)) return (Printable(name), ldap.Authenticate(name, Encoding.UTF8.GetString(credentials[(colon + 1)..])), "ldap");
        // A certificate-only user (no PBKDF2 hash) cannot log in with a password, and costs the same as an unknown one.
        var found = users.TryGetValue(name, out var user) && user.Hash.StartsWith("PBKDF2$", StringComparison.Ordinal);
        if (found && verified?.Contains(credentials, user!.Hash) == true) return (Printable(name), user, "basic");
        var ok = PasswordHash.Verify(Encoding.UTF8.GetString(credentials[(colon + 1)..]), found ? user!.Hash : DummyHash);
        if (found && ok) verified?.Add(credentials, user!.Hash);
        return (Printable(name), found && ok ? user : null, "basic");
    }

    /// <summary>A claimed name as the audit may record it: control characters replaced, length bounded.</summary>
    private static string Printable(string name) => Errors.Printable(name, 100);

    /// <summary>The schema an id request resolves to, or null when it names none.</summary>
    private static Core.Model.ContextId? TryFindById(Core.State.RegistryState state, int id, string? subject, UserEntry user)
    {
        try
        {
            return Core.Decisions.RegistryDecider.FindSchemaById(state, id, string.IsNullOrEmpty(subject) ? null : Http.SubjectPath.Decode(subject),
                s => user.Grants.Any(g => g.Allows("reader", s))).Schema.Key;
        }
        catch (RegistryException)
        {
            return null;
        }
    }

    /// <summary>The principal a client certificate names: its subject's common name (CN).</summary>
    public static string CommonName(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false);

    /// <summary>The role an operation needs and the subject it acts on (null subject = global scope).</summary>
    private static (string? Role, string? Subject) Operation(HttpContext context, RegistryService registry)
    {
        var method = context.Request.Method;
        var segments = context.Request.Path.Value!.Trim('/').Split('/');
        var subject = SubjectOf(segments);
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return segments[0] switch
        {
            "schemas" when segments.Length >= 3 && segments[1] == "ids" => ("schema-by-id", segments[2]),
            "v1" when segments.Length >= 2 && segments[1] == "audit" => ("auditor", ""),
            // Gateway policies are cluster-wide: any reader of the whole registry reads them, admins change them.
            "v1" when segments.Length >= 2 && segments[1] == "policies" => (read ? "reader" : "admin", ""),
            // The gateway reports produce usage with the same registry-wide read access it reads policies with.
            "v1" when segments.Length >= 3 && segments[1] == "usage" && !read => ("reader", ""),
            // Proposals are checked by their endpoints against the proposal's subject; review policies are set by the
            // admins of the scope they cover.
            "v1" when segments.Length >= 3 && segments[1] == "review-policies" && !read =>
                ("admin", Core.Model.QualifiedSubject.Normalize(Http.SubjectPath.Decode(segments[2]).TrimEnd('*'))),
            // The DEK registry: a DEK is authorized as its subject; KEKs are administered by admins and listed to every
            // user with a grant; the deprecated POST …/deks (subject in the body) is checked by its endpoint.
            "dek-registry" when segments.Length >= 6 && segments[4] == "deks" => (read ? "reader" : "writer", subject),
            "dek-registry" when segments.Length == 5 && segments[4] == "deks" => ("list", null),
            "dek-registry" => (read ? "list" : "admin", ""),
            // Confluent serializers (2.16+, AssociatedNameStrategy) look up a topic's associations before each new subject;
            // no association is stored here, so every user gets the same not-found answer and the client falls back.
            "associations" when read => ("list", null),
            "" or "schemas" or "contexts" or "v1" => ("list", null),
            "subjects" when segments.Length == 1 => ("list", null),
            "subjects" when HttpMethods.IsDelete(method) => ("writer", subject),
            "subjects" when HttpMethods.IsPost(method) && segments.Length == 2 => ("reader", subject),
            "subjects" => (read ? "reader" : "writer", subject),
            "compatibility" => ("writer", subject),
            "config" or "mode" => (read ? "reader" : "admin", subject ?? ""),
            // Review pages check the proposal's subject themselves.
            "ui" when segments.Length >= 2 && segments[1] == "proposals" => ("list", null),
            "ui" when segments.Length >= 3 && segments[^1] is "register" or "open-proposal" => ("writer", subject),
            "ui" when segments.Length >= 3 => ("reader", subject),
            "ui" => ("list", null),
            _ => ("admin", ""),
        };
    }

    /// <summary>
    /// The subject a request acts on, decoded exactly as the endpoints decode it (only %2F is left encoded by
    /// Kestrel) and normalized, so the subject checked and audited is the subject acted on.
    /// </summary>
    public static string? SubjectOf(string[] segments)
    {
        var index = segments[0] switch
        {
            "subjects" or "config" or "mode" => 1,
            "compatibility" or "ui" => 2,
            "dek-registry" when segments.Length >= 6 && segments[4] == "deks" => 5,
            _ => -1,
        };
        return index > 0 && segments.Length > index ? Core.Model.QualifiedSubject.Normalize(Http.SubjectPath.Decode(segments[index])) : null;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Directory (LDAP) sign-in failed: {Reason}")]
    private static partial void LogDirectoryUnavailable(ILogger logger, string reason);

    private static string Verb(string role) => role switch
    {
        "reader" => "read",
        "writer" => "write",
        _ => "administer",
    };
}

/// <summary>
/// Who a request claims to be and how: the principal (the attempted one when authentication failed), the method
/// (basic, jwt, mtls, none), the issuer (the JWT issuer, or the client certificate's issuing CA) and whether the
/// claim was verified. The audit records all four, so a JWT <c>sub</c> and an equal users-file name stay apart.
/// </summary>
public sealed record Authentication(string Principal, string Method, string? Issuer, bool Verified);

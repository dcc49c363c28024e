using System.Collections.Concurrent;
using System.DirectoryServices.Protocols;
using System.Net;
using System.Text;
using Registry.Core.Security;

namespace Registry.Server.Security;

/// <summary>
/// Directory sign-in settings (<c>Registry:Ldap:*</c>). <see cref="Url"/> is <c>ldaps://host:port</c>, or
/// <c>ldap://host:port</c> with <see cref="StartTls"/>; plain <c>ldap://</c> needs <see cref="AllowPlaintext"/>.
/// <see cref="UserFilter"/> and <see cref="GroupFilter"/> take <c>{0}</c> (the user name, and the user's DN).
/// <see cref="Groups"/> maps a group's <c>cn</c> to grants as the users file writes them (<c>writer:orders-, reader</c>).
/// <see cref="TrustedCertificatesDirectory"/> holds the PEM CA certificates the directory's certificate must chain to
/// (unset: libldap's own, <c>TLS_CACERT</c> in <c>/etc/ldap/ldap.conf</c>); the host name is always verified.
/// <see cref="Retries"/> is how many times a sign-in that failed to reach the directory is tried again on new
/// connections (a pooled connection the directory closed, or libldap's occasional "server unavailable").
/// </summary>
public sealed record LdapSettings(
    string Url,
    string BindDn,
    string BindPassword,
    string UserBase,
    string GroupBase,
    IReadOnlyDictionary<string, string> Groups,
    string UserFilter = "(uid={0})",
    string GroupFilter = "(member={0})",
    bool StartTls = false,
    bool AllowPlaintext = false,
    int TimeoutSeconds = 5,
    int PoolSize = 4,
    string? TrustedCertificatesDirectory = null,
    int Retries = 1);

/// <summary>The directory could not be asked (down, unreachable, timed out): the caller is answered 5xx, never let in.</summary>
public sealed class DirectoryUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// LDAP authentication of basic credentials: find the user's entry with the service account (connections pooled),
/// bind as that entry with the password (a fresh connection, so the pool's identity never changes), then read the
/// user's groups and turn them into grants. Groups are read on every sign-in, so a change takes effect at once.
/// </summary>
public sealed class LdapDirectory : IDisposable
{
    private readonly LdapSettings _settings;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _ssl;
    private readonly ConcurrentBag<LdapConnection> _pool = [];
    private readonly IReadOnlyDictionary<string, IReadOnlyList<Grant>> _groupGrants;

    public LdapDirectory(LdapSettings settings)
    {
        _settings = settings;
        var uri = new Uri(settings.Url);
        _ssl = uri.Scheme == "ldaps";
        if (!_ssl && uri.Scheme != "ldap") throw new InvalidOperationException($"Registry:Ldap:Url '{settings.Url}' must be ldaps://host:port or ldap://host:port");
        if (!_ssl && !settings.StartTls && !settings.AllowPlaintext)
            throw new InvalidOperationException("Registry:Ldap:Url is plain ldap:// without StartTls: passwords would cross the network in clear. Use ldaps://, set Registry:Ldap:StartTls=true, or (for a directory on this host only) Registry:Ldap:AllowPlaintext=true");
        if (settings.TrustedCertificatesDirectory is { } cas && !Directory.Exists(cas))
            throw new InvalidOperationException($"Registry:Ldap:TrustedCertificatesDirectory '{cas}' does not exist");
        if (settings.TrustedCertificatesDirectory is not null && OperatingSystem.IsWindows())
            throw new InvalidOperationException("Registry:Ldap:TrustedCertificatesDirectory is not supported on Windows: trust the directory's CA in the machine's certificate store");
        if (settings.Retries is < 0 or > 10) throw new InvalidOperationException("Registry:Ldap:Retries must be between 0 and 10");
        _host = uri.Host;
        _port = uri.IsDefaultPort || uri.Port < 0 ? (_ssl ? 636 : 389) : uri.Port;
        _groupGrants = settings.Groups.ToDictionary(g => g.Key, g => UsersFile.ParseGrants(g.Value, $"Registry:Ldap:Groups:{g.Key}"), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The user when the password is right and the account is found by the filter; null otherwise.</summary>
    public UserEntry? Authenticate(string user, string password)
    {
        // An empty password would be an unauthenticated bind, which LDAP servers accept: never a sign-in.
        if (user.Length == 0 || password.Length == 0) return null;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return AuthenticateOnce(user, password);
            }
            catch (Exception e) when (e is LdapException or DirectoryException or TimeoutException)
            {
                // The pooled connections may all be as dead as the one that failed (the directory restarted): the next
                // attempt starts from new ones.
                while (_pool.TryTake(out var stale)) stale.Dispose();
                if (attempt >= _settings.Retries)
                    throw new DirectoryUnavailableException($"The directory (LDAP) cannot be reached to sign in; try again shortly ({e.Message})", e);
            }
        }
    }

    private UserEntry? AuthenticateOnce(string user, string password)
    {
        LdapConnection? service = null;
        string? dn;
        IReadOnlyList<string> groups;
        try
        {
            service = Rent();
            var found = (SearchResponse)service.SendRequest(new SearchRequest(_settings.UserBase, string.Format(System.Globalization.CultureInfo.InvariantCulture, _settings.UserFilter, Escape(user)), SearchScope.Subtree, "uid"));
            if (found.Entries.Count != 1) { Return(service); return null; }
            dn = found.Entries[0].DistinguishedName;
            if (!BindsAs(dn, password)) { Return(service); return null; }
            var memberOf = (SearchResponse)service.SendRequest(new SearchRequest(_settings.GroupBase, string.Format(System.Globalization.CultureInfo.InvariantCulture, _settings.GroupFilter, Escape(dn)), SearchScope.Subtree, "cn"));
            groups = memberOf.Entries.Cast<SearchResultEntry>().SelectMany(e => e.Attributes["cn"]?.GetValues(typeof(string)).Cast<string>() ?? []).ToList();
            Return(service);
        }
        catch
        {
            service?.Dispose();
            throw;
        }
        var grants = groups.SelectMany(g => _groupGrants.GetValueOrDefault(g) ?? []).Distinct().ToList();
        return new UserEntry(user, "", grants);
    }

    private bool BindsAs(string dn, string password)
    {
        using var connection = Connect();
        try
        {
            connection.Bind(new NetworkCredential(dn, password));
            return true;
        }
        catch (LdapException e) when (e.ErrorCode == 49)
        {
            // Invalid credentials (also a locked or disabled account where the server enforces it).
            return false;
        }
    }

    private LdapConnection Rent()
    {
        if (_pool.TryTake(out var pooled)) return pooled;
        var connection = Connect();
        try
        {
            connection.Bind(new NetworkCredential(_settings.BindDn, _settings.BindPassword));
        }
        catch (LdapException e) when (e.ErrorCode == 49)
        {
            connection.Dispose();
            throw new DirectoryUnavailableException("The registry's directory account (Registry:Ldap:BindDn) was refused by the directory", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return connection;
    }

    private void Return(LdapConnection connection)
    {
        if (_pool.Count < _settings.PoolSize) _pool.Add(connection);
        else connection.Dispose();
    }

    private LdapConnection Connect()
    {
        var connection = new LdapConnection(new LdapDirectoryIdentifier(_host, _port))
        {
            AuthType = AuthType.Basic,
            Timeout = TimeSpan.FromSeconds(_settings.TimeoutSeconds),
        };
        connection.SessionOptions.ProtocolVersion = 3;
        if (_settings.TrustedCertificatesDirectory is { } cas && !OperatingSystem.IsWindows())
        {
            connection.SessionOptions.TrustedCertificatesDirectory = cas;
            connection.SessionOptions.StartNewTlsSessionContext();
        }
        if (_ssl) connection.SessionOptions.SecureSocketLayer = true;
        else if (_settings.StartTls)
        {
            try
            {
                // On Linux the connection is only opened by its first operation, and StartTLS on a connection that is
                // not open fails ("server unavailable"): read the root DSE first (no credentials cross), then upgrade.
                // A failed upgrade (an untrusted or misnamed certificate) throws: there is no fallback to plaintext.
                connection.AutoBind = false;
                connection.SendRequest(new SearchRequest("", "(objectClass=*)", SearchScope.Base, "1.1"));
                connection.SessionOptions.StartTransportLayerSecurity(null);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        return connection;
    }

    /// <summary>RFC 4515 escaping of a value put into a search filter.</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '\\' => @"\5c",
                '*' => @"\2a",
                '(' => @"\28",
                ')' => @"\29",
                '\0' => @"\00",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        while (_pool.TryTake(out var connection)) connection.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Registry.Testing;

/// <summary>
/// A throw-away OpenLDAP server (Debian <c>slapd</c>, <c>ldap-utils</c>): a config and an MDB database in a temp
/// directory, loaded with <c>slapadd</c>, served on a free loopback port, removed afterwards. With a certificate it
/// also serves <c>ldaps://</c> on a second port, offers StartTLS, and refuses any simple bind that is not encrypted
/// (<c>security simple_bind=128</c>), so a sign-in that succeeds proves the password crossed TLS.
/// </summary>
public sealed class LdapServer : IAsyncDisposable
{
    public const string Suffix = "dc=registry,dc=test";
    public const string AdminDn = "cn=admin," + Suffix;
    public const string AdminPassword = "admin-pw";

    private readonly string _root;
    private Process? _slapd;

    public int Port { get; }

    /// <summary>The <c>ldaps://</c> port when the server has a certificate, else 0.</summary>
    public int TlsPort { get; }

    public string Url => $"ldap://127.0.0.1:{Port}";

    public string TlsUrl => $"ldaps://127.0.0.1:{TlsPort}";

    private LdapServer(string root, int port, int tlsPort)
    {
        _root = root;
        Port = port;
        TlsPort = tlsPort;
    }

    /// <summary>
    /// Starts a server holding the suffix entry and <paramref name="ldif"/>; with <paramref name="tls"/> (PEM certificate
    /// and key files) it speaks TLS as well and refuses unencrypted simple binds.
    /// </summary>
    public static async Task<LdapServer> StartAsync(string ldif, (string Certificate, string Key)? tls = null)
    {
        if (!File.Exists("/usr/sbin/slapd")) throw new InvalidOperationException("slapd was not found; install the Debian packages 'slapd' and 'ldap-utils'.");
        var root = Path.Combine(Path.GetTempPath(), "registry-ldap-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "db"));
        File.WriteAllText(Path.Combine(root, "slapd.conf"), $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            pidfile {root}/slapd.pid
            modulepath /usr/lib/ldap
            moduleload back_mdb
            {(tls is { } t ? $"TLSCertificateFile {t.Certificate}\nTLSCertificateKeyFile {t.Key}\nsecurity simple_bind=128" : "")}
            database mdb
            maxsize 10485760
            suffix "{Suffix}"
            rootdn "{AdminDn}"
            rootpw {AdminPassword}
            directory {root}/db
            """);
        File.WriteAllText(Path.Combine(root, "data.ldif"), $"""
            dn: {Suffix}
            objectClass: dcObject
            objectClass: organization
            o: registry
            dc: registry

            {ldif.Trim()}

            """);
        await Processes.RunAsync("/usr/sbin/slapadd", ["-f", Path.Combine(root, "slapd.conf"), "-l", Path.Combine(root, "data.ldif")]);
        var server = new LdapServer(root, Processes.FreePort(), tls is null ? 0 : Processes.FreePort());
        await server.StartServerAsync();
        return server;
    }

    public async Task StartServerAsync()
    {
        var info = new ProcessStartInfo("/usr/sbin/slapd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-f", Path.Combine(_root, "slapd.conf"), "-h", TlsPort == 0 ? $"ldap://127.0.0.1:{Port}/" : $"ldap://127.0.0.1:{Port}/ ldaps://127.0.0.1:{TlsPort}/", "-d", "0" }) info.ArgumentList.Add(a);
        _slapd = Process.Start(info)!;
        _ = _slapd.StandardError.ReadToEndAsync();
        _ = _slapd.StandardOutput.ReadToEndAsync();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                // Both listeners, so a test never reaches the ldaps:// port before slapd serves it.
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                if (TlsPort != 0)
                {
                    using var tls = new TcpClient();
                    await tls.ConnectAsync(IPAddress.Loopback, TlsPort);
                }
                // And an LDAP answer (the root DSE, anonymously), not only a socket in the listen backlog.
                await Processes.RunAsync("/usr/bin/ldapsearch", ["-x", "-H", Url, "-b", "", "-s", "base", "-LLL", "1.1"]);
                return;
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                if (_slapd.HasExited) throw new InvalidOperationException($"slapd exited with {_slapd.ExitCode}");
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException("slapd did not start listening");
    }

    /// <summary>Stops the server (the directory is down until <see cref="StartServerAsync"/>).</summary>
    public async Task StopServerAsync()
    {
        if (_slapd is null || _slapd.HasExited) return;
        _slapd.Kill(entireProcessTree: true);
        await _slapd.WaitForExitAsync();
        _slapd.Dispose();
        _slapd = null;
    }

    /// <summary>Applies an LDIF change (ldapmodify) as the directory administrator.</summary>
    public Task ModifyAsync(string ldif)
    {
        var file = Path.Combine(_root, "change-" + Guid.NewGuid().ToString("N") + ".ldif");
        File.WriteAllText(file, ldif);
        return Processes.RunAsync("/usr/bin/ldapmodify", ["-x", "-H", Url, "-D", AdminDn, "-w", AdminPassword, "-f", file]);
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}

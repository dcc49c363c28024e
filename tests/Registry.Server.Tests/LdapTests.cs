using Registry.Server.Hosting;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Directory sign-in against a real OpenLDAP (slapd) started for these tests.</summary>
public sealed class LdapTests : IAsyncLifetime
{
    private const string People = "ou=people," + LdapServer.Suffix;
    private const string Groups = "ou=groups," + LdapServer.Suffix;
    private LdapServer _ldap = null!;
    private RegistryServer _server = null!;

    /// <summary>The test directory: writers, readers and a disabled account.</summary>
    internal static readonly string Entries = $"""
            dn: {People}
            objectClass: organizationalUnit
            ou: people

            dn: {Groups}
            objectClass: organizationalUnit
            ou: groups

            dn: uid=lena,{People}
            objectClass: inetOrgPerson
            uid: lena
            cn: Lena
            sn: Writer
            userPassword: lena-pw

            dn: uid=greg,{People}
            objectClass: inetOrgPerson
            uid: greg
            cn: Greg
            sn: Reader
            userPassword: greg-pw

            dn: uid=dora,{People}
            objectClass: inetOrgPerson
            uid: dora
            cn: Dora
            sn: Disabled
            employeeType: disabled
            userPassword: dora-pw

            dn: cn=registry-writers,{Groups}
            objectClass: groupOfNames
            cn: registry-writers
            member: uid=lena,{People}

            dn: cn=registry-readers,{Groups}
            objectClass: groupOfNames
            cn: registry-readers
            member: uid=greg,{People}
            """;

    public async Task InitializeAsync()
    {
        _ldap = await LdapServer.StartAsync(Entries);
        _server = new RegistryServer { ExtraArgs = Args(_ldap.Url, allowPlaintext: true) };
        await _server.InitializeAsync();
    }

    internal static string[] Args(string url, bool allowPlaintext) =>
    [
        "--Registry:AuthMode=ldap",
        $"--Registry:Ldap:Url={url}",
        $"--Registry:Ldap:AllowPlaintext={allowPlaintext}",
        $"--Registry:Ldap:BindDn={LdapServer.AdminDn}",
        $"--Registry:Ldap:BindPassword={LdapServer.AdminPassword}",
        $"--Registry:Ldap:UserBase={People}",
        $"--Registry:Ldap:GroupBase={Groups}",
        "--Registry:Ldap:UserFilter=(&(uid={0})(!(employeeType=disabled)))",
        "--Registry:Ldap:Groups:registry-writers=writer:orders-",
        "--Registry:Ldap:Groups:registry-readers=reader",
        "--Registry:Ldap:TimeoutSeconds=3",
    ];

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _ldap.DisposeAsync();
    }

    private Task<Reply> As(string user, string password, HttpMethod method, string path, string? json = null) =>
        _server.SendAsAsync(user, password, method, path, json);

    [Fact]
    public async Task Directory_users_sign_in_with_their_password_and_their_groups_grant_roles()
    {
        Assert.Equal(200, (await As("lena", "lena-pw", HttpMethod.Post, "/subjects/orders-ldap/versions", Body(Schemas.V1))).Status);
        Assert.Equal(403, (await As("lena", "lena-pw", HttpMethod.Post, "/subjects/payments-ldap/versions", Body(Schemas.V1))).Status);
        Assert.Equal(401, (await As("lena", "wrong", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("lena", "", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(200, (await As("greg", "greg-pw", HttpMethod.Get, "/subjects/orders-ldap/versions")).Status);
        Assert.Equal(403, (await As("greg", "greg-pw", HttpMethod.Post, "/subjects/orders-greg/versions", Body(Schemas.V1))).Status);
        // A disabled account (excluded by the user filter) and a filter-injection attempt are not signed in.
        Assert.Equal(401, (await As("dora", "dora-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("*", "lena-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("lena)(uid=*", "lena-pw", HttpMethod.Get, "/subjects")).Status);
    }

    [Fact]
    public async Task A_group_change_takes_effect_at_the_next_request()
    {
        Assert.Equal(403, (await As("greg", "greg-pw", HttpMethod.Post, "/subjects/orders-promoted/versions", Body(Schemas.V1))).Status);
        await _ldap.ModifyAsync($"""
            dn: cn=registry-writers,{Groups}
            changetype: modify
            add: member
            member: uid=greg,{People}
            """);
        Assert.Equal(200, (await As("greg", "greg-pw", HttpMethod.Post, "/subjects/orders-promoted/versions", Body(Schemas.V1))).Status);
    }

    [Fact]
    public async Task With_the_directory_down_sign_in_is_a_clear_503_and_never_allowed()
    {
        Assert.Equal(200, (await As("lena", "lena-pw", HttpMethod.Get, "/subjects")).Status);
        await _ldap.StopServerAsync();
        var down = await As("lena", "lena-pw", HttpMethod.Get, "/subjects");
        Assert.Equal(503, down.Status);
        Assert.Equal(50003, down.ErrorCode);
        Assert.Contains("directory", down.Json.GetProperty("message").GetString());
        await _ldap.StartServerAsync();
        Assert.Equal(200, (await As("lena", "lena-pw", HttpMethod.Get, "/subjects")).Status);
    }

    [Fact]
    public async Task A_pooled_connection_the_directory_closed_is_replaced_not_answered_503()
    {
        // A restart of the directory leaves the pooled service connection dead; without a retry the first sign-in
        // after it would be a 503 although the directory is up.
        await using var noRetry = new RegistryServer { ExtraArgs = [.. Args(_ldap.Url, allowPlaintext: true), "--Registry:Ldap:Retries=0"] };
        await noRetry.InitializeAsync();
        Assert.Equal(200, (await As("lena", "lena-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(200, (await noRetry.SendAsAsync("lena", "lena-pw", HttpMethod.Get, "/subjects")).Status);
        await _ldap.StopServerAsync();
        await _ldap.StartServerAsync();
        Assert.Equal(200, (await As("lena", "lena-pw", HttpMethod.Get, "/subjects")).Status);
        var stale = await noRetry.SendAsAsync("lena", "lena-pw", HttpMethod.Get, "/subjects");
        Assert.Equal(503, stale.Status);
        Assert.Equal(50003, stale.ErrorCode);
    }

    [Fact]
    public void A_plain_ldap_url_is_refused_unless_plaintext_is_allowed()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", Path.GetTempPath(), .. Args(_ldap.Url, allowPlaintext: false)]));
        Assert.Contains("StartTls", e.Message);
    }
}

/// <summary>
/// Directory sign-in over TLS (StartTLS and <c>ldaps://</c>) against a slapd that refuses unencrypted simple binds, so a
/// sign-in that succeeds proves the password crossed TLS; a certificate that is untrusted or names another host is a 503.
/// </summary>
public sealed class LdapTlsTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "registry-ldap-tls-" + Guid.NewGuid().ToString("N")[..12]);
    private LdapServer _ldap = null!;
    private LdapServer _misnamed = null!;

    private string TrustedCas => Path.Combine(_dir, "trusted");

    private string OtherCas => Path.Combine(_dir, "other");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(TrustedCas);
        Directory.CreateDirectory(OtherCas);
        using var ca = TestCertificates.CreateCa("Directory Test CA");
        using var other = TestCertificates.CreateCa("Some Other CA");
        File.WriteAllText(Path.Combine(TrustedCas, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(OtherCas, "ca.pem"), other.ExportCertificatePem());
        using var certificate = TestCertificates.Issue(ca, "directory", serverAuth: true);
        using var misnamed = TestCertificates.Issue(ca, "elsewhere", serverAuth: true, hostNames: ["ldap.elsewhere.example"]);
        _ldap = await LdapServer.StartAsync(LdapTests.Entries, TestCertificates.WritePem(certificate, _dir, "directory"));
        _misnamed = await LdapServer.StartAsync(LdapTests.Entries, TestCertificates.WritePem(misnamed, _dir, "misnamed"));
    }

    public async Task DisposeAsync()
    {
        await _ldap.DisposeAsync();
        await _misnamed.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<Reply> SignInAsync(string[] args)
    {
        await using var server = new RegistryServer { ExtraArgs = args };
        await server.InitializeAsync();
        return await server.SendAsAsync("lena", "lena-pw", HttpMethod.Post, "/subjects/orders-tls/versions", Body(Schemas.V1));
    }

    private static string[] StartTls(LdapServer ldap, string cas) =>
        [.. LdapTests.Args(ldap.Url, allowPlaintext: false), "--Registry:Ldap:StartTls=true", $"--Registry:Ldap:TrustedCertificatesDirectory={cas}"];

    private static string[] Ldaps(LdapServer ldap, string cas) =>
        [.. LdapTests.Args(ldap.TlsUrl, allowPlaintext: false), $"--Registry:Ldap:TrustedCertificatesDirectory={cas}"];

    [Fact]
    public async Task StartTls_and_ldaps_sign_in_with_the_directorys_ca()
    {
        var startTls = await SignInAsync(StartTls(_ldap, TrustedCas));
        Assert.True(startTls.Status == 200, startTls.Body);
        var ldaps = await SignInAsync(Ldaps(_ldap, TrustedCas));
        Assert.True(ldaps.Status == 200, ldaps.Body);
    }

    [Fact]
    public async Task The_same_directory_refuses_a_plaintext_bind()
    {
        // What makes the test above prove encryption: over plain ldap:// this server refuses the bind.
        var plain = await SignInAsync(LdapTests.Args(_ldap.Url, allowPlaintext: true));
        Assert.Equal(503, plain.Status);
        Assert.Equal(50003, plain.ErrorCode);
    }

    [Fact]
    public async Task An_untrusted_or_misnamed_certificate_is_a_503_never_a_sign_in()
    {
        foreach (var args in new[] { StartTls(_ldap, OtherCas), Ldaps(_ldap, OtherCas), StartTls(_misnamed, TrustedCas), Ldaps(_misnamed, TrustedCas) })
        {
            var refused = await SignInAsync(args);
            Assert.Equal(503, refused.Status);
            Assert.Equal(50003, refused.ErrorCode);
        }
    }

    [Fact]
    public void A_missing_ca_directory_is_refused_at_start()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", Path.GetTempPath(), .. StartTls(_ldap, Path.Combine(_dir, "missing"))]));
        Assert.Contains("TrustedCertificatesDirectory", e.Message);
    }
}

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

    public async Task InitializeAsync()
    {
        _ldap = await LdapServer.StartAsync($"""
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
            """);
        _server = new RegistryServer { ExtraArgs = Args(_ldap.Url, allowPlaintext: true) };
        await _server.InitializeAsync();
    }

    private static string[] Args(string url, bool allowPlaintext) =>
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
    public void A_plain_ldap_url_is_refused_unless_plaintext_is_allowed()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", Path.GetTempPath(), .. Args(_ldap.Url, allowPlaintext: false)]));
        Assert.Contains("StartTls", e.Message);
    }
}

using Registry.Core.Security;
using Registry.Testing;

namespace Registry.Cli.Tests;

/// <summary>The CLI against a registry that signs callers in by client certificate (mTLS) and has its own CA.</summary>
public sealed class MtlsCliTests
{
    [Fact]
    public async Task The_cli_presents_a_client_certificate_and_trusts_the_given_ca()
    {
        var dir = Directory.CreateTempSubdirectory("registry-cli-mtls-").FullName;
        var ca = TestCertificates.CreateCa("CLI Test CA");
        File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
        var (serverCert, serverKey) = TestCertificates.WritePem(TestCertificates.Issue(ca, "localhost", serverAuth: true), dir, "server");
        var (clientCert, clientKey) = TestCertificates.WritePem(TestCertificates.Issue(ca, "ci-pipeline"), dir, "client");
        File.WriteAllLines(Path.Combine(dir, "users.txt"), ["ci-pipeline: cert, admin", $"nobody: {PasswordHash.Create("x")}, reader"]);
        await using var registry = await TestRegistry.StartAsync("--urls", "https://127.0.0.1:0", "--Registry:AuthMode=mtls",
            $"--Registry:UsersFile={Path.Combine(dir, "users.txt")}", $"--Registry:Tls:CertificateFile={serverCert}",
            $"--Registry:Tls:KeyFile={serverKey}", $"--Registry:Tls:ClientCaFile={Path.Combine(dir, "ca.pem")}");
        var file = Path.Combine(dir, "export.json");
        var url = registry.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

        var ok = await Cli.RunAsync("export", "--url", url, "--file", file, "--cert", clientCert, "--key", clientKey, "--ca", Path.Combine(dir, "ca.pem"));
        Assert.True(ok.Code == 0, ok.ToString());
        Assert.True(File.Exists(file));
        // Without the certificate the registry refuses; without the CA the registry's certificate is not trusted.
        var refused = await Cli.RunAsync("export", "--url", url, "--file", file, "--ca", Path.Combine(dir, "ca.pem"));
        Assert.NotEqual(0, refused.Code);
        var untrusted = await Cli.RunAsync("export", "--url", url, "--file", file, "--cert", clientCert, "--key", clientKey);
        Assert.Equal(3, untrusted.Code);
        var missing = await Cli.RunAsync("export", "--url", url, "--file", file, "--cert", Path.Combine(dir, "nope.pem"));
        Assert.Contains("Cannot read the client certificate", missing.ToString());
    }
}

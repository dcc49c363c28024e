using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Registry.Testing;

/// <summary>Throw-away certificates for TLS and mTLS tests: a CA, and server or client certificates it issues.</summary>
public static class TestCertificates
{
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>
    /// A certificate issued by <paramref name="ca"/>; a server certificate names <paramref name="hostNames"/> (default
    /// <c>localhost</c> and <c>127.0.0.1</c>) as subject alternative names.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string commonName, bool serverAuth = false, bool expired = false, string[]? hostNames = null)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}, O=Registry Tests", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in hostNames ?? ["localhost", "127.0.0.1"])
            {
                if (System.Net.IPAddress.TryParse(name, out var address)) san.AddIpAddress(address);
                else san.AddDnsName(name);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        var notBefore = expired ? DateTimeOffset.UtcNow.AddDays(-10) : DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = expired ? DateTimeOffset.UtcNow.AddDays(-2) : DateTimeOffset.UtcNow.AddDays(7);
        using var signed = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
        // A round trip through PKCS#12 gives SslStream a certificate whose private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes a certificate and its private key as PEM files in <paramref name="directory"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        var cert = Path.Combine(directory, name + ".pem");
        var key = Path.Combine(directory, name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }
}

using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Registry.Server.Security;

/// <summary>
/// HTTPS from <c>Registry:Tls:CertificateFile</c> and <c>KeyFile</c> (PEM). With <c>ClientCaFile</c>, clients
/// may present a certificate, which must chain to that CA (and only to it) and be within its validity;
/// one that does not fails the handshake. Clients without a certificate may still use basic or bearer auth.
/// </summary>
public sealed class TlsSettings
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection? _clientCas;

    private TlsSettings(X509Certificate2 certificate, X509Certificate2Collection? clientCas, string? clientCaFile)
    {
        _certificate = certificate;
        _clientCas = clientCas;
        ClientCaFile = clientCaFile;
    }

    public string? ClientCaFile { get; }

    /// <summary>The settings, or null when no certificate is configured (plain HTTP).</summary>
    public static TlsSettings? From(IConfiguration configuration)
    {
        var certificateFile = configuration["Registry:Tls:CertificateFile"];
        if (string.IsNullOrEmpty(certificateFile)) return null;
        var certificate = X509Certificate2.CreateFromPemFile(certificateFile, configuration["Registry:Tls:KeyFile"]);
        var caFile = configuration["Registry:Tls:ClientCaFile"];
        X509Certificate2Collection? cas = null;
        if (!string.IsNullOrEmpty(caFile))
        {
            cas = [];
            cas.ImportFromPemFile(caFile);
            if (cas.Count == 0) throw new InvalidOperationException($"Registry:Tls:ClientCaFile '{caFile}' holds no certificate");
        }
        return new TlsSettings(certificate, cas, string.IsNullOrEmpty(caFile) ? null : caFile);
    }

    public void Apply(HttpsConnectionAdapterOptions https)
    {
        https.ServerCertificate = _certificate;
        if (_clientCas is null) return;
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        https.ClientCertificateValidation = (certificate, _, _) => Trusted(certificate);
    }

    private bool Trusted(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientCas!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(certificate);
    }
}

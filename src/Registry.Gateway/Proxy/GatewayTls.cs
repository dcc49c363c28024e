using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Registry.Gateway.Proxy;

/// <summary>
/// PEM files the gateway's TLS uses, re-read when one of them changes: a certificate with its key, and a CA bundle.
/// A file is looked at again at most once a second; a change that cannot be read keeps the material in use (and is
/// logged), so a half-written rotation never takes the listeners down.
/// </summary>
internal sealed class PemFiles(string? certificateFile, string? keyFile, string? caFile, string setting, ILogger logger)
{
    public sealed record Material(X509Certificate2? Certificate, X509Certificate2Collection? Cas);

    private readonly object _gate = new();
    // Swapped whole, so a handshake never pairs a new certificate with old CAs.
    private volatile Material _current = new(null, null);
    private DateTime[] _stamps = [];
    private long _checkedAt;

    /// <summary>Reads the files now: a missing or unreadable file at start is a configuration error.</summary>
    public PemFiles Load()
    {
        _current = Read();
        _stamps = Stamps();
        _checkedAt = Environment.TickCount64;
        return this;
    }

    /// <summary>The certificate and CAs in use, re-read first when the files changed.</summary>
    public Material Current
    {
        get
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _checkedAt) < 1000) return _current;
            lock (_gate)
            {
                if (now - _checkedAt < 1000) return _current;
                _checkedAt = now;
                var stamps = Stamps();
                if (stamps.SequenceEqual(_stamps)) return _current;
                try
                {
                    _current = Read();
                    _stamps = stamps;
                    logger.LogInformation("{Setting}: certificate files changed and were reloaded", setting);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
                {
                    logger.LogWarning("{Setting}: the changed certificate files cannot be read ({Message}); the previous ones stay in use", setting, e.Message);
                }
                return _current;
            }
        }
    }

    private DateTime[] Stamps() => [.. new[] { certificateFile, keyFile, caFile }.Where(f => !string.IsNullOrEmpty(f)).Select(f => File.GetLastWriteTimeUtc(f!))];

    private Material Read()
    {
        var certificate = string.IsNullOrEmpty(certificateFile) ? null : X509Certificate2.CreateFromPemFile(certificateFile, string.IsNullOrEmpty(keyFile) ? null : keyFile);
        X509Certificate2Collection? cas = null;
        if (!string.IsNullOrEmpty(caFile))
        {
            cas = [];
            cas.ImportFromPemFile(caFile);
            if (cas.Count == 0) throw new InvalidOperationException($"{setting}: '{caFile}' holds no certificate");
        }
        return new Material(certificate, cas);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="cas"/> (and only to them) for <paramref name="usage"/>.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection cas, string usage)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(usage));
        return chain.Build(certificate);
    }

    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
}

/// <summary>TLS on the client listeners (<c>Gateway:Tls</c>): the gateway's certificate, and with a client CA, mTLS.</summary>
internal sealed class ListenerTls(PemFiles files, bool clientCertificates)
{
    public static ListenerTls? From(ListenerTlsOptions o, ILogger logger) => string.IsNullOrEmpty(o.CertificateFile) ? null
        : new ListenerTls(new PemFiles(o.CertificateFile, o.KeyFile, o.ClientCaFile, "Gateway:Tls", logger).Load(), !string.IsNullOrEmpty(o.ClientCaFile));

    /// <summary>Completes the server handshake on a client's connection; a client certificate is required with a client CA.</summary>
    public async Task<SslStream> AuthenticateAsync(Stream client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(client, leaveInnerStreamOpen: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var (certificate, cas) = files.Current;
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = clientCertificates,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = clientCertificates
                ? (_, presented, _, _) => presented is not null && PemFiles.ChainsTo(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()), cas!, PemFiles.ClientAuthentication)
                : null,
        }, cts.Token);
        return ssl;
    }
}

/// <summary>TLS to the brokers (<c>Gateway:UpstreamTls</c>): a CA bundle or the system's, an optional client certificate, host names verified.</summary>
internal sealed class UpstreamTls(PemFiles files, bool verifyHostname)
{
    public static UpstreamTls? From(UpstreamTlsOptions o, ILogger logger) => !o.Enabled ? null
        : new UpstreamTls(new PemFiles(o.CertificateFile, o.KeyFile, o.CaFile, "Gateway:UpstreamTls", logger).Load(), o.VerifyHostname);

    /// <summary>Completes the client handshake with the broker at <paramref name="host"/>; a certificate that does not verify fails it.</summary>
    public async Task<SslStream> AuthenticateAsync(Stream upstream, string host, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(upstream, leaveInnerStreamOpen: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var (own, cas) = files.Current;
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificates = own is null ? null : [own],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                if (verifyHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
                // With a CA bundle, the broker's certificate must chain to it; otherwise the system's trust decides.
                return cas is not null
                    ? PemFiles.ChainsTo(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), cas, PemFiles.ServerAuthentication)
                    : (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
            },
        }, cts.Token);
        return ssl;
    }
}

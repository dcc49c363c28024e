using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Registry.Testing;

/// <summary>
/// A TLS listener on loopback that forwards each connection's plain bytes to a TCP target: what puts a TLS-only
/// broker in front of a plain-TCP mock broker in tests.
/// </summary>
public sealed class TlsTerminator : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TlsTerminator(X509Certificate2 certificate, string targetHost, int targetPort)
    {
        _listener.Start();
        _accepting = AcceptAsync(certificate, targetHost, targetPort);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections whose TLS handshake completed.</summary>
    public int Handshakes;

    private async Task AcceptAsync(X509Certificate2 certificate, string host, int port)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var _ = client;
                using var target = new TcpClient();
                try
                {
                    await using var ssl = new SslStream(client.GetStream());
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _stop.Token);
                    Interlocked.Increment(ref Handshakes);
                    await target.ConnectAsync(host, port, _stop.Token);
                    await using var plain = target.GetStream();
                    var up = ssl.CopyToAsync(plain, _stop.Token);
                    var down = plain.CopyToAsync(ssl, _stop.Token);
                    await Task.WhenAny(up, down);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                {
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

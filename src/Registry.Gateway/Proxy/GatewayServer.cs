using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Proxy;

/// <summary>What every connection shares: settings, policies, the validator and the broker map.</summary>
internal sealed class GatewayContext(GatewayOptions options, PolicyStore policies, RecordValidator validator, RegistryClient registry, ILogger logger)
{
    public RegistryClient Registry { get; } = registry;

    /// <summary>Records let through, for the registry's observed usage.</summary>
    public ProduceUsage Usage { get; } = new(options.MaxUsageKeys);

    public GatewayOptions Options { get; } = options;

    public PolicyStore Policies { get; } = policies;

    public RecordValidator Validator { get; } = validator;

    public ILogger Logger { get; } = logger;

    /// <summary>The last refusals, for people (GET /v1/gateway/refusals).</summary>
    public RefusalLog Refusals { get; } = new(options.RefusalsPerTopic, options.MaxRefusalTopics, options.MaxClientIdLabels);

    /// <summary>TLS towards clients, or null for plain TCP.</summary>
    public ListenerTls? ClientTls { get; } = ListenerTls.From(options.Tls, logger);

    /// <summary>SASL terminated here, or null when it passes through.</summary>
    public SaslTermination? Sasl { get; } = SaslTermination.From(options.Sasl);

    /// <summary>TLS towards the brokers, or null for plain TCP.</summary>
    public UpstreamTls? UpstreamTls { get; } = UpstreamTls.From(options.UpstreamTls, logger);

    public Protocol.BrokerMap MapBroker { get; set; } = (_, host, port) => (host, port);
}

/// <summary>
/// The listeners: one bootstrap port forwarding to the configured upstream broker, and one port per
/// upstream broker, opened the first time a response names that broker. Clients learn only gateway
/// addresses, so every request of theirs passes through here.
/// </summary>
internal sealed class GatewayServer : IAsyncDisposable
{
    private sealed class Listener(TcpListener socket, string host, int port)
    {
        public TcpListener Socket { get; } = socket;

        public volatile string UpstreamHost = host;

        public volatile int UpstreamPort = port;

        public int LocalPort => ((IPEndPoint)Socket.LocalEndpoint).Port;
    }

    private readonly GatewayContext _context;
    private readonly ConcurrentDictionary<int, Listener> _brokers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly object _gate = new();
    private Listener? _bootstrap;

    public GatewayServer(GatewayContext context)
    {
        _context = context;
        context.MapBroker = Map;
    }

    public int BootstrapPort => _bootstrap?.LocalPort ?? throw new InvalidOperationException("not started");

    public void Start()
    {
        var (host, port) = ParseHostPort(_context.Options.Upstream);
        _bootstrap = Listen(_context.Options.BootstrapPort, host, port);
        _context.Logger.LogInformation("Gateway bootstrap on {Address}:{Port} -> {Upstream}", _context.Options.ListenAddress, _bootstrap.LocalPort, _context.Options.Upstream);
    }

    public static (string Host, int Port) ParseHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port)) throw new InvalidOperationException($"'{value}' is not host:port");
        return (value[..colon], port);
    }

    private (string Host, int Port) Map(int nodeId, string host, int port)
    {
        Listener? listener;
        lock (_gate)
        {
            // One listener per broker, even when several connections learn of it at once.
            if (!_brokers.TryGetValue(nodeId, out listener))
            {
                listener = Listen(_context.Options.BrokerPortBase > 0 ? _context.Options.BrokerPortBase + nodeId : 0, host, port);
                _brokers[nodeId] = listener;
                _context.Logger.LogInformation("Broker {Node} ({Host}:{Port}) served on port {Local}", nodeId, host, port, listener.LocalPort);
            }
        }
        // A broker that moved keeps its gateway port; new connections go to its new address.
        listener.UpstreamHost = host;
        listener.UpstreamPort = port;
        return (_context.Options.AdvertisedHost, listener.LocalPort);
    }

    private Listener Listen(int port, string upstreamHost, int upstreamPort)
    {
        var socket = new TcpListener(IPAddress.Parse(_context.Options.ListenAddress), port);
        socket.Start(512);
        var listener = new Listener(socket, upstreamHost, upstreamPort);
        lock (_loops) _loops.Add(AcceptAsync(listener));
        return listener;
    }

    private async Task AcceptAsync(Listener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.Socket.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                try
                {
                    await new Connection(client, listener.UpstreamHost, listener.UpstreamPort, _context).RunAsync(_stopping.Token);
                }
                catch (Exception e)
                {
                    // A connection's failure never takes the gateway down.
                    _context.Logger.LogWarning(e, "Client connection failed");
                    client.Dispose();
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _bootstrap?.Socket.Stop();
        foreach (var broker in _brokers.Values) broker.Socket.Stop();
        Task[] loops;
        lock (_loops) loops = [.. _loops];
        await Task.WhenAll(loops);
        _stopping.Dispose();
    }
}

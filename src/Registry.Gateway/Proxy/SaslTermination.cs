using System.Security.Cryptography;
using System.Text;
using Registry.Core.Security;
using Registry.Gateway.Protocol;

namespace Registry.Gateway.Proxy;

/// <summary>
/// SASL terminated at the gateway (<c>Gateway:Sasl:UsersFile</c>): clients authenticate to the gateway with PLAIN or
/// SCRAM-SHA-256 against the registry's users file, and the gateway connects to the brokers without SASL (a listener of
/// theirs reserved for it). Policies, refusals and usage can then name the producing principal. SCRAM-SHA-256 needs no
/// password in clear: the users file's PBKDF2-HMAC-SHA256 hash is SCRAM's salted password, with its salt and iterations.
/// SCRAM-SHA-512 would need a SHA-512 hash, which the file does not hold, so it is not offered.
/// </summary>
internal sealed class SaslTermination
{
    public const string Plain = "PLAIN";
    public const string ScramSha256 = "SCRAM-SHA-256";
    private const short UnsupportedMechanism = 33;
    private const short IllegalState = 34;
    private const short AuthenticationFailed = 58;

    private readonly IReadOnlyDictionary<string, UserEntry> _users;
    private readonly byte[] _fakeSaltKey = RandomNumberGenerator.GetBytes(32);

    // Checked for unknown users, so that they cost what a known one costs.
    private readonly string _unknownUserHash = PasswordHash.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

    public SaslTermination(IReadOnlyDictionary<string, UserEntry> users, IReadOnlyList<string> mechanisms)
    {
        _users = users;
        Mechanisms = mechanisms;
    }

    /// <summary>The mechanisms offered, in the order of <c>Gateway:Sasl:Mechanisms</c>.</summary>
    public IReadOnlyList<string> Mechanisms { get; }

    /// <summary>The versions of SaslHandshake and SaslAuthenticate the gateway answers, advertised in ApiVersions in place of the brokers'.</summary>
    public static IReadOnlyList<(short Key, short Min, short Max)> ServedApis { get; } = [(Apis.SaslHandshake, 1, 1), (Apis.SaslAuthenticate, 0, 2)];

    public static SaslTermination? From(SaslOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.UsersFile)) return null;
        var mechanisms = options.Mechanisms.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(m => m.ToUpperInvariant()).Distinct().ToList();
        if (mechanisms.Count == 0 || mechanisms.Any(m => m is not (Plain or ScramSha256)))
            throw new InvalidOperationException($"Gateway:Sasl:Mechanisms '{options.Mechanisms}' must name PLAIN and/or SCRAM-SHA-256 (SCRAM-SHA-512 needs a hash the users file does not hold)");
        return new SaslTermination(UsersFile.Load(options.UsersFile), mechanisms);
    }

    /// <summary>One connection's authentication: a handshake, then one (PLAIN) or two (SCRAM) SaslAuthenticate rounds.</summary>
    public sealed class Session(SaslTermination owner)
    {
        private string? _mechanism;
        private Scram? _scram;

        /// <summary>Who the client authenticated as, once it has.</summary>
        public string? Principal { get; private set; }

        /// <summary>Set when authentication failed: the response is sent, then the connection closes, as a broker does.</summary>
        public bool Failed { get; private set; }

        /// <summary>The response frame body (correlation id onward) to a SaslHandshake or SaslAuthenticate request.</summary>
        public byte[] Answer(RequestHeader header, ReadOnlySpan<byte> body)
        {
            if (header.ApiKey == Apis.SaslHandshake) return Handshake(header, body);
            var flexible = Apis.IsFlexible(Apis.SaslAuthenticate, header.ApiVersion);
            var reader = new KafkaReader(body);
            var token = reader.Bytes(flexible, out _).ToArray();
            var (error, message, reply) = Principal is not null || _mechanism is null
                ? (IllegalState, "SaslAuthenticate is only valid after a SaslHandshake and before authentication completes", Array.Empty<byte>())
                : Step(token);
            if (error != 0) Failed = true;
            var writer = Header(header, flexible);
            writer.Int16(error);
            writer.String(message, flexible);
            writer.Bytes(reply, isNull: false, flexible);
            if (header.ApiVersion >= 1) writer.Int64(0); // session lifetime: no re-authentication required
            if (flexible) writer.EmptyTaggedFields();
            return writer.ToArray();
        }

        private byte[] Handshake(RequestHeader header, ReadOnlySpan<byte> body)
        {
            var mechanism = new KafkaReader(body).String(flexible: false);
            var offered = owner.Mechanisms.Contains(mechanism ?? "") && _mechanism is null && Principal is null;
            if (offered) _mechanism = mechanism;
            else Failed = true;
            var writer = Header(header, flexible: false);
            writer.Int16(offered ? (short)0 : _mechanism is null ? UnsupportedMechanism : IllegalState);
            writer.ArrayCount(owner.Mechanisms.Count, flexible: false);
            foreach (var m in owner.Mechanisms) writer.String(m, flexible: false);
            return writer.ToArray();
        }

        private static KafkaWriter Header(RequestHeader header, bool flexible)
        {
            var writer = new KafkaWriter();
            writer.Int32(header.CorrelationId);
            if (flexible) writer.EmptyTaggedFields();
            return writer;
        }

        private (short Error, string? Message, byte[] Reply) Step(byte[] token)
        {
            if (_mechanism == Plain)
            {
                // authzid NUL authcid NUL password; an authorization identity other than the user's own is refused.
                var parts = Encoding.UTF8.GetString(token).Split('\0');
                if (parts.Length == 3 && (parts[0].Length == 0 || parts[0] == parts[1]) && owner.Verify(parts[1], parts[2]))
                    return Succeed(parts[1], []);
                return (AuthenticationFailed, "Authentication failed: Invalid username or password", []);
            }
            if (_scram is null)
            {
                _scram = Scram.Start(owner, Encoding.UTF8.GetString(token), out var serverFirst, out var problem);
                return _scram is null ? (AuthenticationFailed, problem, []) : ((short)0, null, Encoding.UTF8.GetBytes(serverFirst!));
            }
            return _scram.Finish(Encoding.UTF8.GetString(token)) is { } serverFinal
                ? Succeed(_scram.User, Encoding.UTF8.GetBytes(serverFinal))
                : (AuthenticationFailed, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256", []);
        }

        private (short, string?, byte[]) Succeed(string user, byte[] reply)
        {
            Principal = user;
            return (0, null, reply);
        }
    }

    private bool Verify(string user, string password) =>
        PasswordHash.Verify(password, _users.TryGetValue(user, out var entry) ? entry.Hash : _unknownUserHash) && entry is not null;

    /// <summary>The user's SCRAM-SHA-256 salted password with its salt and iterations, from the users file's PBKDF2-SHA256 hash.</summary>
    private (byte[] Salt, int Iterations, byte[]? Salted) Credentials(string user)
    {
        var parts = _users.TryGetValue(user, out var entry) ? entry.Hash.Split('$') : [];
        if (parts.Length == 4 && parts[0] == "PBKDF2" && int.TryParse(parts[1], out var iterations) && iterations >= 4096)
        {
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var hash = Convert.FromBase64String(parts[3]);
                if (hash.Length == 32) return (salt, iterations, hash);
            }
            catch (FormatException)
            {
            }
        }
        // Unknown users (and users without a usable hash) get a salt that looks real and stays the same, so a client cannot tell them apart.
        return (HMACSHA256.HashData(_fakeSaltKey, Encoding.UTF8.GetBytes(user))[..16], 100_000, null);
    }

    /// <summary>RFC 5802 on the server side, without channel binding, as Kafka brokers run it.</summary>
    private sealed class Scram
    {
        private string _clientFirstBare = "", _serverFirst = "", _nonce = "";
        private byte[]? _salted;

        public string User { get; private set; } = "";

        public static Scram? Start(SaslTermination owner, string clientFirst, out string? serverFirst, out string? problem)
        {
            serverFirst = null;
            problem = "Authentication failed: the SCRAM client-first message is malformed";
            // gs2 header: "n,," (no channel binding, no authorization identity other than the user).
            if (!clientFirst.StartsWith("n,,", StringComparison.Ordinal)) return null;
            var bare = clientFirst[3..];
            var attributes = bare.Split(',');
            if (attributes.Length < 2 || !attributes[0].StartsWith("n=", StringComparison.Ordinal) || !attributes[1].StartsWith("r=", StringComparison.Ordinal) || attributes[1].Length < 3)
                return null;
            if (attributes.Skip(2).Any(a => a.StartsWith("tokenauth=", StringComparison.Ordinal)))
            {
                problem = "Authentication failed: delegation tokens are not accepted by the gateway";
                return null;
            }
            var user = attributes[0][2..].Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
            var (salt, iterations, salted) = owner.Credentials(user);
            var scram = new Scram { User = user, _clientFirstBare = bare, _salted = salted, _nonce = attributes[1][2..] + Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)) };
            scram._serverFirst = $"r={scram._nonce},s={Convert.ToBase64String(salt)},i={iterations}";
            serverFirst = scram._serverFirst;
            return scram;
        }

        /// <summary>The server-final message when the client's proof holds, else null.</summary>
        public string? Finish(string clientFinal)
        {
            var proofAt = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
            if (proofAt < 0 || _salted is null) return null;
            var withoutProof = clientFinal[..proofAt];
            var attributes = withoutProof.Split(',');
            if (attributes.Length < 2 || attributes[0] != "c=biws" || attributes[1] != "r=" + _nonce) return null;
            byte[] proof;
            try
            {
                proof = Convert.FromBase64String(clientFinal[(proofAt + 3)..]);
            }
            catch (FormatException)
            {
                return null;
            }
            var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
            var clientKey = HMACSHA256.HashData(_salted, "Client Key"u8);
            var storedKey = SHA256.HashData(clientKey);
            var signature = HMACSHA256.HashData(storedKey, authMessage);
            if (proof.Length != signature.Length) return null;
            for (var i = 0; i < proof.Length; i++) proof[i] ^= signature[i];
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(proof), storedKey)) return null;
            var serverKey = HMACSHA256.HashData(_salted, "Server Key"u8);
            return "v=" + Convert.ToBase64String(HMACSHA256.HashData(serverKey, authMessage));
        }
    }
}

/// <summary><c>Gateway:Sasl</c>: SASL terminated at the gateway. Unset (the default), SASL passes through to the brokers.</summary>
public sealed class SaslOptions
{
    /// <summary>The registry's users file (<c>name: PBKDF2$…, roles</c>); setting it turns termination on.</summary>
    public string? UsersFile { get; set; }

    /// <summary>Mechanisms offered, comma-separated: PLAIN and/or SCRAM-SHA-256. Default both, SCRAM first.</summary>
    public string Mechanisms { get; set; } = "SCRAM-SHA-256,PLAIN";
}

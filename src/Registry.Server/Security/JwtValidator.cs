using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Registry.Core.Security;

namespace Registry.Server.Security;

/// <summary>
/// Settings for bearer JWTs from an OIDC issuer. The signing keys come from <paramref name="JwksFile"/> when
/// it is set, else from the issuer's discovery document (<paramref name="MetadataAddress"/>, by default
/// <c>{issuer}/.well-known/openid-configuration</c>), fetched, cached and refreshed when a token names an unknown key.
/// </summary>
public sealed record JwtSettings(string Issuer, string Audience, string? JwksFile, string RoleClaim, TimeSpan ClockSkew,
    string? MetadataAddress = null, bool RequireHttpsMetadata = true);

/// <summary>
/// Validates bearer JWTs (signature against the issuer's JWKS, issuer, audience, lifetime with clock skew)
/// and turns the role claim's values (<c>role[:prefix]</c>) into grants. Keys come only from the operator's
/// configuration (a file or the configured issuer), never from a URL inside a token.
/// </summary>
public sealed class JwtValidator
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;
    private readonly string? _discoveryAddress;
    private readonly HttpDocumentRetriever _retriever;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private ICollection<SecurityKey>? _keys;
    private DateTimeOffset _fetchedAt;
    private DateTimeOffset _lastForcedFetch = DateTimeOffset.MinValue;
    private readonly string _roleClaim;

    /// <summary>The issuer tokens must come from (recorded in the audit with the principal).</summary>
    public string Issuer { get; }

    public JwtValidator(JwtSettings settings)
    {
        Issuer = settings.Issuer;
        _roleClaim = settings.RoleClaim;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            ClockSkew = settings.ClockSkew,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
        };
        if (settings.JwksFile is { Length: > 0 } file)
        {
            if (!File.Exists(file)) throw new InvalidOperationException($"Registry:Jwt:JwksFile '{file}' does not exist");
            _parameters.IssuerSigningKeys = new JsonWebKeySet(File.ReadAllText(file)).GetSigningKeys();
        }
        else
        {
            _discoveryAddress = settings.MetadataAddress ?? settings.Issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        }
        _retriever = new HttpDocumentRetriever { RequireHttps = settings.RequireHttpsMetadata };
    }

    /// <summary>Keys are re-fetched this often, and on an unknown key id at most once per <see cref="ForcedRefreshInterval"/>.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromHours(1);

    public static readonly TimeSpan ForcedRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>The caller as a user with grants, or null when the token is not valid.</summary>
    public async Task<UserEntry?> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var result = await ValidateWithKeysAsync(token, force: false, cancellationToken);
        if (_discoveryAddress is not null && result?.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The issuer may have rotated its keys: re-fetch (rate-limited, so forged kids cannot flood the issuer) and retry.
            result = await ValidateWithKeysAsync(token, force: true, cancellationToken);
        }
        if (result is not { IsValid: true }) return null;
        var identity = result.ClaimsIdentity;
        var name = identity.FindFirst("sub")?.Value ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "jwt";
        var grants = identity.FindAll(_roleClaim).Select(c => c.Value).Concat(identity.FindAll(ClaimTypes.Role).Select(c => c.Value))
            .Distinct().Select(ParseGrant).OfType<Grant>().ToList();
        return new UserEntry(name, "", grants);
    }

    private async Task<TokenValidationResult?> ValidateWithKeysAsync(string token, bool force, CancellationToken cancellationToken)
    {
        var parameters = _parameters;
        if (_discoveryAddress is not null)
        {
            var keys = await DiscoveredKeysAsync(force, cancellationToken);
            if (keys is null) return null; // the issuer cannot be reached and no keys were fetched before
            parameters = _parameters.Clone();
            parameters.IssuerSigningKeys = keys;
        }
        return await _handler.ValidateTokenAsync(token, parameters);
    }

    private async Task<ICollection<SecurityKey>?> DiscoveredKeysAsync(bool force, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (_keys is not null && now - _fetchedAt < RefreshInterval && !(force && now - _lastForcedFetch >= ForcedRefreshInterval)) return _keys;
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            if (_keys is not null && _fetchedAt > now) return _keys; // fetched by another caller meanwhile
            if (force) _lastForcedFetch = now;
            try
            {
                var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_discoveryAddress!, _retriever, cancellationToken);
                _keys = configuration.SigningKeys;
                _fetchedAt = DateTimeOffset.UtcNow;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException or ArgumentException)
            {
                // Keep the last keys: an issuer outage must not lock everybody out.
            }
            return _keys;
        }
        finally
        {
            _fetching.Release();
        }
    }

    private static Grant? ParseGrant(string value)
    {
        var sep = value.IndexOf(':');
        var role = sep < 0 ? value : value[..sep];
        return role is "reader" or "writer" or "admin" or "auditor" ? new Grant(role, sep < 0 ? "" : value[(sep + 1)..]) : null;
    }
}

using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Registry.Server.Security;

/// <summary>Settings for bearer JWTs from an OIDC issuer.</summary>
public sealed record JwtSettings(string Issuer, string Audience, string JwksFile, string RoleClaim, TimeSpan ClockSkew);

/// <summary>
/// Validates bearer JWTs (signature against the issuer's JWKS, issuer, audience, lifetime with clock skew)
/// and turns the role claim's values (<c>role[:prefix]</c>) into grants. The JWKS is read from a file the
/// operator provides (fetched by their tooling from the issuer), never from a URL inside a token.
/// </summary>
public sealed class JwtValidator
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;
    private readonly string _roleClaim;

    public JwtValidator(JwtSettings settings)
    {
        if (!File.Exists(settings.JwksFile)) throw new InvalidOperationException($"Registry:Jwt:JwksFile '{settings.JwksFile}' does not exist");
        var keys = new JsonWebKeySet(File.ReadAllText(settings.JwksFile)).GetSigningKeys();
        _roleClaim = settings.RoleClaim;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = keys,
            ClockSkew = settings.ClockSkew,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
        };
    }

    /// <summary>The caller as a user with grants, or null when the token is not valid.</summary>
    public async Task<UserEntry?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid) return null;
        var identity = result.ClaimsIdentity;
        var name = identity.FindFirst("sub")?.Value ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "jwt";
        var grants = identity.FindAll(_roleClaim).Select(c => c.Value).Concat(identity.FindAll(ClaimTypes.Role).Select(c => c.Value))
            .Distinct().Select(ParseGrant).OfType<Grant>().ToList();
        return new UserEntry(name, "", grants);
    }

    private static Grant? ParseGrant(string value)
    {
        var sep = value.IndexOf(':');
        var role = sep < 0 ? value : value[..sep];
        return role is "reader" or "writer" or "admin" or "auditor" ? new Grant(role, sep < 0 ? "" : value[(sep + 1)..]) : null;
    }
}

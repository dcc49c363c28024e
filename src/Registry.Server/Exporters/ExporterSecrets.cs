using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Registry.Core;
using Registry.Core.Decisions;

namespace Registry.Server.Exporters;

/// <summary>
/// Seals the credentials of an exporter's config with AES-256-GCM before they reach the log, opens them for the node
/// running the exporter, and masks them in every answer. A value is a credential when its key names a password,
/// secret, token, key or user info.
/// </summary>
public sealed class ExporterSecrets
{
    /// <summary>What answers show instead of a credential; sent back unchanged, it keeps the stored value.</summary>
    public const string Masked = "[hidden]";

    private const string Prefix = "sealed:v1:";
    private readonly byte[]? _key;

    public ExporterSecrets(string? base64Key)
    {
        if (string.IsNullOrEmpty(base64Key)) return;
        try
        {
            _key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Registry:Exporters:SecretKey must be base64");
        }
        if (_key.Length != 32) throw new InvalidOperationException("Registry:Exporters:SecretKey must be 32 bytes (base64 of 32 random bytes)");
    }

    public static bool IsSecret(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.Contains("user.info", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith(".key", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The config to store: credentials sealed; a credential sent as <see cref="Masked"/> keeps what
    /// <paramref name="stored"/> holds. 40951 when a credential is given and no key is configured.
    /// </summary>
    public ImmutableSortedDictionary<string, string> Seal(IReadOnlyDictionary<string, string>? config, IReadOnlyDictionary<string, string>? stored)
    {
        var sealedConfig = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in config ?? new Dictionary<string, string>())
        {
            if (!IsSecret(key) || string.IsNullOrEmpty(value))
            {
                sealedConfig[key] = value ?? "";
                continue;
            }
            if (value == Masked)
            {
                if (stored?.GetValueOrDefault(key) is { } kept) sealedConfig[key] = kept;
                continue;
            }
            var secretKey = _key ?? throw new RegistryException(RegistryDecider.InvalidExporterConfig,
                $"The exporter config holds the credential '{Errors.Printable(key)}'; set Registry:Exporters:SecretKey so it can be stored sealed");
            var nonce = RandomNumberGenerator.GetBytes(12);
            var plain = Encoding.UTF8.GetBytes(value);
            var cipher = new byte[plain.Length];
            var tag = new byte[16];
            using (var aes = new AesGcm(secretKey, tag.Length)) aes.Encrypt(nonce, plain, cipher, tag, Encoding.UTF8.GetBytes(key));
            sealedConfig[key] = Prefix + Convert.ToBase64String([.. nonce, .. cipher, .. tag]);
        }
        return sealedConfig.ToImmutable();
    }

    /// <summary>The config as answers show it: every credential masked.</summary>
    public static ImmutableSortedDictionary<string, string> Mask(IReadOnlyDictionary<string, string> config) =>
        config.ToImmutableSortedDictionary(p => p.Key, p => IsSecret(p.Key) && p.Value.Length > 0 ? Masked : p.Value, StringComparer.Ordinal);

    /// <summary>The config with its credentials opened, for the destination client only; throws when a value cannot be opened.</summary>
    public IReadOnlyDictionary<string, string> Open(IReadOnlyDictionary<string, string> config)
    {
        var open = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in config)
        {
            if (!value.StartsWith(Prefix, StringComparison.Ordinal))
            {
                open[key] = value;
                continue;
            }
            if (_key is null) throw new InvalidOperationException($"The credential '{key}' is sealed, and Registry:Exporters:SecretKey is not set");
            var bytes = Convert.FromBase64String(value[Prefix.Length..]);
            var plain = new byte[bytes.Length - 28];
            try
            {
                using var aes = new AesGcm(_key, 16);
                aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(12, plain.Length), bytes.AsSpan(12 + plain.Length), plain, Encoding.UTF8.GetBytes(key));
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new InvalidOperationException($"The credential '{key}' was sealed with another Registry:Exporters:SecretKey");
            }
            open[key] = Encoding.UTF8.GetString(plain);
        }
        return open;
    }
}

using System.Security.Cryptography;
using System.Text;
using Registry.Core;
using Registry.Core.Model;

namespace Registry.Server.Encryption;

/// <summary>
/// A KMS the registry can call for a shared KEK: wrap a DEK's key material with the KEK, and unwrap it. A driver
/// answers for one <c>kmsType</c>; AWS, Azure, GCP or Vault drivers plug in the same way (docs/encryption.md).
/// </summary>
public interface IKmsDriver
{
    string KmsType { get; }

    byte[] Wrap(Kek kek, byte[] plaintext);

    byte[] Unwrap(Kek kek, byte[] ciphertext);
}

/// <summary>Thrown by a driver when the KMS refuses access (403 / 40370 to the caller).</summary>
public sealed class KmsAccessDeniedException(string message) : Exception(message);

/// <summary>
/// The <c>local-kms</c> driver, as Confluent's clients implement it: the KEK is AES-128-GCM with the key
/// HKDF-SHA256(secret, 32 zero bytes of salt, no info); a wrapped key is IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
/// The secret comes from <c>Registry:Kms:LocalSecret</c>, else the <c>LOCAL_SECRET</c> environment variable, else the
/// KEK's <c>kmsProps.secret</c> (where a Confluent registry reads it too).
/// </summary>
public sealed class LocalKmsDriver(string? configuredSecret) : IKmsDriver
{
    public string KmsType => "local-kms";

    public byte[] Wrap(Kek kek, byte[] plaintext)
    {
        using var aes = new AesGcm(KeyOf(kek), 16);
        var output = new byte[12 + plaintext.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        aes.Encrypt(output.AsSpan(0, 12), plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length));
        return output;
    }

    public byte[] Unwrap(Kek kek, byte[] ciphertext)
    {
        if (ciphertext.Length < 28) throw new CryptographicException("the wrapped key is shorter than an IV and a tag");
        using var aes = new AesGcm(KeyOf(kek), 16);
        var plaintext = new byte[ciphertext.Length - 28];
        aes.Decrypt(ciphertext.AsSpan(0, 12), ciphertext.AsSpan(12, plaintext.Length), ciphertext.AsSpan(12 + plaintext.Length), plaintext);
        return plaintext;
    }

    /// <summary>The AES-128 key the secret stands for (secret "mysecret" gives 1ae4d97ac1e81594bfd1993c1a75ee36).</summary>
    public static byte[] DeriveKey(string secret) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 16, new byte[32], []);

    private byte[] KeyOf(Kek kek)
    {
        var secret = configuredSecret is { Length: > 0 } ? configuredSecret
            : Environment.GetEnvironmentVariable("LOCAL_SECRET") is { Length: > 0 } env ? env
            : kek.KmsProps.GetValueOrDefault("secret");
        return string.IsNullOrEmpty(secret)
            ? throw new CryptographicException("cannot load secret: set Registry:Kms:LocalSecret (or LOCAL_SECRET)")
            : DeriveKey(secret);
    }
}

/// <summary>
/// The <c>hcvault</c> driver: HashiCorp Vault's Transit engine, as Confluent's clients call it. The KEK's
/// <c>kmsKeyId</c> is <c>https://vault:8200/transit/keys/{key}</c>; wrapping is <c>POST /v1/transit/encrypt/{key}</c>
/// of the base64 plaintext, and the wrapped DEK is the UTF-8 of Vault's <c>vault:v1:…</c> ciphertext. The token is
/// the KEK's <c>kmsProps["token.id"]</c>, else <c>Registry:KmsVaultToken</c>, else <c>VAULT_TOKEN</c>; a
/// <c>kmsProps.namespace</c> is sent as <c>X-Vault-Namespace</c>.
/// </summary>
public sealed class VaultTransitDriver(HttpClient http, string? configuredToken) : IKmsDriver
{
    public string KmsType => "hcvault";

    public byte[] Wrap(Kek kek, byte[] plaintext) =>
        Encoding.UTF8.GetBytes(Call(kek, "encrypt", "plaintext", Convert.ToBase64String(plaintext), "ciphertext"));

    public byte[] Unwrap(Kek kek, byte[] ciphertext) =>
        Convert.FromBase64String(Call(kek, "decrypt", "ciphertext", Encoding.UTF8.GetString(ciphertext), "plaintext"));

    private string Call(Kek kek, string operation, string field, string value, string answer)
    {
        var uri = new Uri(kek.KmsKeyId);
        var key = uri.AbsolutePath.TrimEnd('/').Split('/')[^1];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(uri, $"/v1/transit/{operation}/{Uri.EscapeDataString(key)}"))
        {
            Content = JsonContent(new Dictionary<string, string> { [field] = value }),
        };
        var token = kek.KmsProps.GetValueOrDefault("token.id") ?? configuredToken ?? Environment.GetEnvironmentVariable("VAULT_TOKEN");
        if (!string.IsNullOrEmpty(token)) request.Headers.Add("X-Vault-Token", token);
        if (kek.KmsProps.GetValueOrDefault("namespace") is { Length: > 0 } ns) request.Headers.Add("X-Vault-Namespace", ns);
        using var response = http.Send(request);
        if (response.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized)
            throw new KmsAccessDeniedException($"Vault refused the Transit {operation} with key '{key}' ({(int)response.StatusCode})");
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Vault answered the Transit {operation} with {(int)response.StatusCode}");
        using var body = System.Text.Json.JsonDocument.Parse(response.Content.ReadAsStream());
        return body.RootElement.GetProperty("data").GetProperty(answer).GetString()
            ?? throw new InvalidOperationException($"Vault's Transit {operation} answer has no {answer}");
    }

    private static StringContent JsonContent(Dictionary<string, string> body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

/// <summary>The KMS drivers the registry has, and DEK key material made and wrapped with them for shared KEKs.</summary>
public sealed class KmsDrivers(IEnumerable<IKmsDriver> drivers)
{
    private readonly Dictionary<string, IKmsDriver> _drivers = drivers.ToDictionary(d => d.KmsType, StringComparer.Ordinal);

    /// <summary>
    /// New raw key material for an algorithm, as the clients make it: the serialized Tink key (AES-GCM: field 3 holds the
    /// key; AES-SIV: field 2 holds 64 bytes).
    /// </summary>
    public static byte[] NewKeyMaterial(DekAlgorithm algorithm)
    {
        var (tag, size) = algorithm switch
        {
            DekAlgorithm.AES128_GCM => ((byte)0x1A, 16),
            DekAlgorithm.AES256_GCM => ((byte)0x1A, 32),
            _ => ((byte)0x12, 64),
        };
        var key = new byte[2 + size];
        key[0] = tag;
        key[1] = (byte)size;
        RandomNumberGenerator.Fill(key.AsSpan(2));
        return key;
    }

    /// <summary>Wraps raw key material with the KEK; a KMS failure is 50070 (40370 when access is denied).</summary>
    public string Wrap(Kek kek, string subject, byte[] keyMaterial) =>
        Convert.ToBase64String(Call(kek, subject, "encrypted", driver => driver.Wrap(kek, keyMaterial)));

    /// <summary>Unwraps a DEK's material with its KEK; a KMS failure is 50070 (40370 when access is denied).</summary>
    public byte[] Unwrap(Kek kek, string subject, string encryptedKeyMaterial) =>
        Call(kek, subject, "raw", driver => driver.Unwrap(kek, Convert.FromBase64String(encryptedKeyMaterial)));

    private byte[] Call(Kek kek, string subject, string what, Func<IKmsDriver, byte[]> call)
    {
        if (!_drivers.TryGetValue(kek.KmsType, out var driver))
            throw new RegistryException(Errors.DekGenerationFailed, $"Could not generate {what} dek for {Errors.Printable(subject)}: no KMS driver for kmsType '{Errors.Printable(kek.KmsType)}'");
        try
        {
            return call(driver);
        }
        catch (KmsAccessDeniedException e)
        {
            throw new RegistryException(Errors.KmsAccessDenied, e.Message);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or HttpRequestException or InvalidOperationException
                                      or System.Text.Json.JsonException or KeyNotFoundException or UriFormatException or TaskCanceledException)
        {
            throw new RegistryException(Errors.DekGenerationFailed, $"Could not generate {what} dek for {Errors.Printable(subject)}: {e.Message}");
        }
    }
}

namespace Registry.Core.Model;

/// <summary>Write modes of a subject, a context or the whole registry.</summary>
public enum RegistryMode
{
    ReadWrite,
    ReadOnly,
    ReadOnlyOverride,
    Import,
    Forward,
}

public static class RegistryModes
{
    private static readonly Dictionary<string, RegistryMode> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["READWRITE"] = RegistryMode.ReadWrite,
        ["READONLY"] = RegistryMode.ReadOnly,
        ["READONLY_OVERRIDE"] = RegistryMode.ReadOnlyOverride,
        ["IMPORT"] = RegistryMode.Import,
        ["FORWARD"] = RegistryMode.Forward,
    };

    public static bool TryParse(string? name, out RegistryMode mode) => ByName.TryGetValue(name ?? "", out mode);

    public static string ToName(this RegistryMode mode) => mode switch
    {
        RegistryMode.ReadWrite => "READWRITE",
        RegistryMode.ReadOnly => "READONLY",
        RegistryMode.ReadOnlyOverride => "READONLY_OVERRIDE",
        RegistryMode.Import => "IMPORT",
        RegistryMode.Forward => "FORWARD",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static bool IsReadOnly(this RegistryMode mode) => mode is RegistryMode.ReadOnly or RegistryMode.ReadOnlyOverride;
}

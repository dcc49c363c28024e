namespace Registry.Core.Security;

/// <summary>A role granted on subjects starting with a prefix ("" is every subject and the global scope).</summary>
public sealed record Grant(string Role, string Prefix)
{
    private static readonly string[] Order = ["reader", "writer", "admin"];

    /// <summary>admin includes writer, writer includes reader; auditor stands alone.</summary>
    public bool Allows(string role, string subject) =>
        subject.StartsWith(Prefix, StringComparison.Ordinal)
        && (Role == role || (Array.IndexOf(Order, Role) >= 0 && Array.IndexOf(Order, role) >= 0 && Array.IndexOf(Order, Role) >= Array.IndexOf(Order, role)));
}

/// <summary>A user with a password hash and grants.</summary>
public sealed record UserEntry(string Name, string Hash, IReadOnlyList<Grant> Grants);

/// <summary>
/// The users file, one user per line, in the shape of Confluent's JAAS property file:
/// <c>name: PBKDF2$...hash..., role[:prefix], role[:prefix]</c>. Lines starting with # are comments.
/// Hashes come from <c>registry hash-password</c>.
/// </summary>
public static class UsersFile
{
    private static readonly HashSet<string> Roles = ["reader", "writer", "admin", "auditor"];

    public static IReadOnlyDictionary<string, UserEntry> Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"Registry:Auth:UsersFile '{path}' does not exist");
        var users = new Dictionary<string, UserEntry>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) throw new InvalidOperationException($"{path}:{lineNumber}: expected 'name: hash, role[:prefix]...'");
            var fields = line[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) throw new InvalidOperationException($"{path}:{lineNumber}: no password hash");
            var grants = Grants(fields[1..], $"{path}:{lineNumber}");
            users[line[..colon].Trim()] = new UserEntry(line[..colon].Trim(), fields[0], grants);
        }
        return users;
    }

    /// <summary>Grants written as the users file writes them: <c>role[:prefix], role[:prefix]</c>.</summary>
    public static IReadOnlyList<Grant> ParseGrants(string text, string where) =>
        Grants(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), where);

    private static List<Grant> Grants(IEnumerable<string> fields, string where) => fields.Select(g =>
    {
        var sep = g.IndexOf(':');
        var role = sep < 0 ? g : g[..sep];
        if (!Roles.Contains(role)) throw new InvalidOperationException($"{where}: unknown role '{role}'");
        return new Grant(role, sep < 0 ? "" : g[(sep + 1)..]);
    }).ToList();
}

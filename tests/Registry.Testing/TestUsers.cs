using Registry.Core.Security;

namespace Registry.Testing;

/// <summary>A throw-away users file (<c>Registry:UsersFile</c>) for basic-authentication tests.</summary>
public static class TestUsers
{
    /// <summary>Writes the users, each as <c>name: hash, grants</c>, to a new temp file and returns its path.</summary>
    public static string Write(params (string Name, string Password, string Grants)[] users)
    {
        var path = Path.Combine(Path.GetTempPath(), "registry-users-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllLines(path, ["# name: hash, role[:prefix]...", .. users.Select(u => $"{u.Name}: {PasswordHash.Create(u.Password)}, {u.Grants}")]);
        return path;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Registry.Testing;

/// <summary>What the throw-away servers (Postgres, OpenLDAP) share: running their tools, and a free loopback port.</summary>
public static class Processes
{
    /// <summary>Runs a tool to its end and returns what it printed; a non-zero exit throws with its output.</summary>
    public static async Task<string> RunAsync(string file, IReadOnlyList<string> args, string workingDirectory = "/tmp", IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

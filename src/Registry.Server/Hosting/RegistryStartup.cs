using Registry.Storage;

namespace Registry.Server.Hosting;

/// <summary>Replays the log before the server takes requests; logs loudly what it found.</summary>
internal sealed partial class RegistryStartup(RegistryEngine engine, ILogger<RegistryStartup> logger, Microsoft.Extensions.Options.IOptions<RegistryOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await engine.StartAsync(cancellationToken);
        var state = engine.State;
        LogReplayed(logger, state.Position, state.Subjects.Count, state.Schemas.Count,
            (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, Path.GetFullPath(options.Value.DataDirectory));
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await engine.DisposeAsync();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Replayed {Events} events ({Subjects} subjects, {Schemas} schemas) in {ElapsedMs} ms from {Directory}")]
    private static partial void LogReplayed(ILogger logger, long events, int subjects, int schemas, long elapsedMs, string directory);
}

using System.Collections.Frozen;
using Registry.Core.Model;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Proxy;

/// <summary>
/// The topic policies in force, re-read from the registry on an interval (no restart needed). Until the
/// first read succeeds, <see cref="Loaded"/> is false and produce requests to any topic are held back
/// with a retriable error rather than passed unchecked.
/// </summary>
public sealed class PolicyStore(RegistryClient registry, TimeSpan interval, ILogger logger)
{
    private volatile FrozenDictionary<string, TopicPolicy> _current = FrozenDictionary<string, TopicPolicy>.Empty;

    public bool Loaded { get; private set; }

    public FrozenDictionary<string, TopicPolicy> Current => _current;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        _current = (await registry.GetPoliciesAsync(cancellationToken)).ToFrozenDictionary(StringComparer.Ordinal);
        Loaded = true;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                logger.LogWarning("Could not read policies from the registry ({Message}); keeping the last ones", e.Message);
            }
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

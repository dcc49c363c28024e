using System.Collections.Concurrent;
using Registry.Formats.Payloads;
using Registry.Gateway.Protocol;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Proxy;

/// <summary>
/// Records let through, counted per (topic, value schema id, client id) and reported to the registry every
/// <c>Gateway:UsageReportMs</c> (<c>POST /v1/usage/produce</c>), so reviewers see who produces each schema. At most
/// <c>Gateway:MaxUsageKeys</c> keys between two reports; records beyond are not counted. A failed report is kept for the next.
/// </summary>
internal sealed class ProduceUsage(int maxKeys)
{
    /// <summary>The counts since the last report; ConcurrentDictionary.Count takes every lock, so keys are counted here.</summary>
    private sealed class Period
    {
        public readonly ConcurrentDictionary<(string Topic, int Id, string ClientId), long> Counts = new();
        public int Keys;
    }

    private Period _period = new();

    public void Add(string topic, List<RecordView> records, string? clientId)
    {
        // Records of a batch mostly share one id: counted as runs, one dictionary update per run rather than per record.
        var period = _period;
        var (id, run) = (0, 0L);
        foreach (var r in records)
        {
            if (r.Value is not { } value || !WireFormat.TryReadHeader(value.Span, out var next, out _)) continue;
            if (next != id)
            {
                if (run > 0) Count(period, (topic, id, clientId ?? ""), run);
                (id, run) = (next, 0);
            }
            run++;
        }
        if (run > 0) Count(period, (topic, id, clientId ?? ""), run);
    }

    private void Count(Period period, (string Topic, int Id, string ClientId) key, long n)
    {
        if (!period.Counts.ContainsKey(key))
        {
            if (Volatile.Read(ref period.Keys) >= maxKeys) return;
            if (period.Counts.TryAdd(key, 0)) Interlocked.Increment(ref period.Keys);
        }
        period.Counts.AddOrUpdate(key, n, (_, m) => m + n);
    }

    public async Task RunAsync(RegistryClient registry, TimeSpan interval, ILogger logger, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var taken = Interlocked.Exchange(ref _period, new()).Counts;
            if (taken.IsEmpty) continue;
            try
            {
                await registry.ReportProduceUsageAsync(taken.Select(c => (c.Key.Topic, c.Key.Id, c.Key.ClientId, c.Value)).ToList(), cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning("Could not report produce usage to the registry ({Message}); keeping it for the next report", e.Message);
                foreach (var (key, n) in taken) Count(_period, key, n);
            }
        }
    }
}

using System.Collections.Concurrent;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Proxy;

/// <summary>One refused record as <c>GET /v1/gateway/refusals</c> shows it: where, why and who; never payload bytes.</summary>
public sealed record Refusal(DateTimeOffset Time, string Topic, int Partition, int Record, string Reason, string Message, string? ClientId);

/// <summary>
/// The last refusals per topic (<c>Gateway:RefusalsPerTopic</c>, for at most <c>Gateway:MaxRefusalTopics</c> topics), so that
/// people see reasons their clients do not show them (Produce ≤ v7 carries only error code 87), and refusals counted per
/// client id in <c>/metrics</c> (at most <c>Gateway:MaxClientIdLabels</c> distinct ids; the rest count as <c>_other</c>).
/// </summary>
public sealed class RefusalLog(int perTopic, int maxTopics, int maxClientIds)
{
    private readonly ConcurrentDictionary<string, Queue<Refusal>> _byTopic = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _clientLabels = new(StringComparer.Ordinal);
    // ConcurrentDictionary.Count takes every lock: the bounds are checked only when a new topic or client id appears.
    private int _topics;
    private int _clients;

    public void Add(string topic, int partition, IEnumerable<Violation> violations, string? clientId, DateTimeOffset time)
    {
        var label = ClientLabel(clientId);
        var queue = _byTopic.TryGetValue(topic, out var known) ? known : Admit(ref _topics, maxTopics) ? _byTopic.GetOrAdd(topic, _ => new Queue<Refusal>()) : null;
        foreach (var v in violations)
        {
            GatewayMetrics.RefusalsByClient.Add(1, new KeyValuePair<string, object?>("client_id", label));
            if (queue is null) continue;
            lock (queue)
            {
                if (queue.Count == perTopic) queue.Dequeue();
                queue.Enqueue(new Refusal(time, topic, partition, v.Index, v.Reason, v.Message, clientId));
            }
        }
    }

    /// <summary>The kept refusals, newest first; of one topic when <paramref name="topic"/> is given.</summary>
    public IReadOnlyList<Refusal> Recent(string? topic)
    {
        var queues = topic is null ? _byTopic.Values : _byTopic.TryGetValue(topic, out var q) ? [q] : [];
        var all = new List<Refusal>();
        foreach (var queue in queues)
            lock (queue) all.AddRange(queue);
        return [.. all.OrderByDescending(r => r.Time)];
    }

    private string ClientLabel(string? clientId)
    {
        var id = string.IsNullOrEmpty(clientId) ? "_none" : clientId;
        if (_clientLabels.TryGetValue(id, out var label)) return label;
        return Admit(ref _clients, maxClientIds) ? _clientLabels.GetOrAdd(id, id) : "_other";
    }

    /// <summary>Takes one of <paramref name="limit"/> places; false once all are taken (two racing adds of one key may both take one).</summary>
    private static bool Admit(ref int taken, int limit)
    {
        if (Volatile.Read(ref taken) >= limit) return false;
        return Interlocked.Increment(ref taken) <= limit;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Storage.Kafka;

/// <summary>
/// Our own compacted topic (default <c>_registry</c>), for record kinds Confluent's <c>_schemas</c> has no keytype
/// for: a Confluent reader throws on an unknown keytype, so they never go to <c>_schemas</c>. Keys and values are
/// JSON; a null value is a tombstone. WRITER records name the node that currently writes, for forwarding.
/// KEK and DEK records, which an earlier version kept here, are still read (<see cref="DekRegistryTopicFormat"/>);
/// the Kafka store moves them to the DEK registry topic on its next write.
/// </summary>
public static class RegistryTopicFormat
{
    private static readonly JsonSerializerOptions Json = CanonicalJson.Options;

    public const string WriterKeyType = "WRITER";

    public static string? KeyOf(RegistryEvent e) => e switch
    {
        PolicySet p => PolicyKey(p.Topic),
        PolicyDeleted p => PolicyKey(p.Topic),
        ProposalPut p => ProposalKey(p.Proposal.Id),
        ReviewPolicySet r => ReviewPolicyKey(r.Scope),
        ReviewPolicyDeleted r => ReviewPolicyKey(r.Scope),
        _ => null,
    };

    public static (string Key, string? Value) Encode(RegistryEvent e) => e switch
    {
        PolicySet p => (PolicyKey(p.Topic), JacksonJson.Write(JsonSerializer.SerializeToNode(p.Policy, Json))),
        PolicyDeleted p => (PolicyKey(p.Topic), null),
        ProposalPut p => (ProposalKey(p.Proposal.Id), JacksonJson.Write(JsonSerializer.SerializeToNode(p.Proposal, Json))),
        ReviewPolicySet r => (ReviewPolicyKey(r.Scope), JacksonJson.Write(JsonSerializer.SerializeToNode(r.Policy, Json))),
        ReviewPolicyDeleted r => (ReviewPolicyKey(r.Scope), null),
        _ => throw new ArgumentException($"{e.GetType().Name} is not a registry-topic record", nameof(e)),
    };

    public static (string Key, string Value) Writer(string url, string node) =>
        (JacksonJson.Write(new JsonObject { ["keytype"] = WriterKeyType }), JacksonJson.Write(new JsonObject { ["url"] = url, ["node"] = node }));

    /// <summary>The event of a record, or the writer's URL for a WRITER record (its event is then a no-op).</summary>
    public static (RegistryEvent Event, string? WriterUrl) Decode(string? key, string? value, long timestamp)
    {
        try
        {
            var k = key is null ? null : JsonNode.Parse(key)?.AsObject();
            if (DekRegistryTopicFormat.IsKey(k)) return (DekRegistryTopicFormat.Decode(key, value, timestamp), null);
            return (string?)k?["keytype"] switch
            {
                "POLICY" when value is null => (new PolicyDeleted((string)k!["topic"]!), null),
                "POLICY" => (new PolicySet((string)k!["topic"]!, JsonSerializer.Deserialize<TopicPolicy>(value, Json)!), null),
                "PROPOSAL" when value is not null => (new ProposalPut(JsonSerializer.Deserialize<Proposal>(value, Json)!), null),
                "REVIEW_POLICY" when value is null => (new ReviewPolicyDeleted((string)k!["scope"]!), null),
                "REVIEW_POLICY" => (new ReviewPolicySet((string)k!["scope"]!, JsonSerializer.Deserialize<ReviewPolicy>(value, Json)!), null),
                WriterKeyType when value is not null => (new LogNoop("writer"), (string?)JsonNode.Parse(value)?["url"]),
                var other => (new LogNoop(other ?? "no keytype"), null),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            return (new LogNoop("unreadable record: " + e.Message), null);
        }
    }

    private static string ProposalKey(long id) => JacksonJson.Write(new JsonObject { ["keytype"] = "PROPOSAL", ["id"] = id });

    private static string ReviewPolicyKey(string scope) => JacksonJson.Write(new JsonObject { ["keytype"] = "REVIEW_POLICY", ["scope"] = scope });

    private static string PolicyKey(string topic) => JacksonJson.Write(new JsonObject { ["keytype"] = "POLICY", ["topic"] = topic });
}

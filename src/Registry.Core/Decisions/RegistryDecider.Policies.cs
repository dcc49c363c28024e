using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>Error code for a topic without a gateway policy (ours; Confluent has no policies).</summary>
    public const int PolicyNotFound = 40471;

    /// <summary>PUT /v1/policies/{topic}: sets or replaces the topic's gateway policy.</summary>
    public static Decision<TopicPolicy> SetPolicy(RegistryState state, string topic, TopicPolicy policy)
    {
        if (policy.Problem(topic) is { } problem) throw new RegistryException(Errors.UnprocessableEntity, $"Invalid policy: {problem}");
        return state.Policies.TryGetValue(topic, out var existing) && existing == policy
            ? Decision<TopicPolicy>.NoChange(policy)
            : new Decision<TopicPolicy>(policy, [new PolicySet(topic, policy)]);
    }

    /// <summary>DELETE /v1/policies/{topic}: returns the policy that was removed.</summary>
    public static Decision<TopicPolicy> DeletePolicy(RegistryState state, string topic) =>
        state.Policies.TryGetValue(topic, out var existing)
            ? new Decision<TopicPolicy>(existing, [new PolicyDeleted(topic)])
            : throw PolicyNotFoundError(topic);

    public static RegistryException PolicyNotFoundError(string topic) =>
        new(PolicyNotFound, $"No gateway policy for topic '{Errors.Printable(topic, 100)}'");
}

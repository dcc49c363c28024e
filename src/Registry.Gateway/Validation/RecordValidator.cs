using Registry.Core.Formats;
using Registry.Core.Model;
using Registry.Formats.Payloads;
using Registry.Formats.Protobuf;
using Registry.Gateway.Protocol;

namespace Registry.Gateway.Validation;

/// <summary>Why a record was refused: a short reason label (for metrics) and a sentence a person can act on.</summary>
public readonly record struct Violation(int Index, string Reason, string Message);

/// <summary>Checks the records of one topic-partition against the topic's policy.</summary>
public sealed class RecordValidator(RegistryClient registry, SchemaFormats formats, int maxNestingDepth)
{
    /// <summary>The violations among <paramref name="records"/> (empty when all pass).</summary>
    public async ValueTask<List<Violation>> CheckAsync(string topic, TopicPolicy policy, List<RecordView> records, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        // TopicNameStrategy subjects depend only on the topic: computed once per batch, not per record.
        var valueSubject = policy.Value is { Strategy: "TopicNameStrategy" } ? topic + "-value" : null;
        var keySubject = policy.Key is { Strategy: "TopicNameStrategy" } ? topic + "-key" : null;
        Accepted? values = null, keys = null;
        // An id check of a value naming the id the record before it passed with needs nothing more (the usual record).
        var idOnly = policy.Value is { Check: "id", RequireEncryption: false } && valueSubject is not null && policy.Key is null;
        foreach (var record in records)
        {
            if (idOnly && values?.Schema is not null && record.Value is { } v && WireFormat.TryReadHeader(v.Span, out var runId, out _) && runId == values.Id)
                continue;
            if (record.Value is null)
            {
                if (!policy.AllowTombstones) violations.Add(new Violation(record.Index, "tombstone", "a tombstone (null value), which this topic's policy does not allow"));
            }
            else if (policy.Value is { } valuePolicy && await CheckAsync(topic, valuePolicy, isKey: false, valueSubject, record.Value.Value, values ??= new(), cancellationToken) is { } valueProblem)
            {
                violations.Add(valueProblem with { Index = record.Index });
                continue;
            }
            if (policy.Key is not { } keyPolicy) continue;
            if (record.Key is null)
            {
                if (!keyPolicy.AllowNull) violations.Add(new Violation(record.Index, "null_key", "a null key, which this topic's policy does not allow"));
            }
            else if (await CheckAsync(topic, keyPolicy, isKey: true, keySubject, record.Key.Value, keys ??= new(), cancellationToken) is { } keyProblem)
            {
                violations.Add(keyProblem with { Index = record.Index });
            }
        }
        return violations;
    }

    /// <summary>
    /// The schema the last record of a batch was found registered under the topic's subject with. Records of a batch
    /// mostly share one id, so under TopicNameStrategy (where the subject does not depend on the record) the next record
    /// naming the same id skips the lookup and the subject check.
    /// </summary>
    private sealed class Accepted
    {
        public int Id;
        public KnownSchema? Schema;
    }

    private async ValueTask<Violation?> CheckAsync(string topic, PayloadPolicy policy, bool isKey, string? topicSubject, ReadOnlyMemory<byte> payload, Accepted accepted,
        CancellationToken cancellationToken)
    {
        var what = isKey ? "key" : "value";
        if (!WireFormat.TryReadHeader(payload.Span, out var id, out var headerError))
            return new Violation(0, "wire_format", $"the {what} is not in Confluent wire format ({headerError}); produce it with a schema-registry serializer");
        var schema = accepted.Schema is { } known && accepted.Id == id ? known : await registry.GetSchemaAsync(id, cancellationToken);
        if (schema is null) return new Violation(0, "unknown_id", $"the {what} names schema id {id}, which is not registered");

        var data = payload[5..];
        IReadOnlyList<int> indexes = [];
        if (schema.SchemaType == ProtobufFormat.Type)
        {
            var consumed = WireFormat.ReadMessageIndexes(data.Span, out var read, out var indexError);
            if (consumed < 0) return new Violation(0, "wire_format", $"the {what} has unreadable Protobuf message indexes: {indexError}");
            indexes = read;
            data = data[consumed..];
        }

        if (!ReferenceEquals(schema, accepted.Schema))
        {
            string? subject;
            try
            {
                subject = topicSubject ?? policy.Strategy switch
                {
                    "RecordNameStrategy" => PayloadDecoding.RecordName(schema.Parsed(formats), indexes),
                    "TopicRecordNameStrategy" => PayloadDecoding.RecordName(schema.Parsed(formats), indexes) is { } record ? $"{topic}-{record}" : null,
                    _ => $"{topic}-{what}",
                };
            }
            catch (Core.RegistryException e)
            {
                return new Violation(0, "schema", $"schema id {id} of the {what} cannot be parsed by the gateway: {e.Message}");
            }
            if (subject is null) return new Violation(0, "subject", $"schema id {id} of the {what} names no record type, so {policy.Strategy} gives no subject");
            if (!schema.Subjects.Contains(subject))
            {
                schema = await registry.RefreshSubjectsAsync(schema, subject, cancellationToken) ?? schema;
                if (!schema.Subjects.Contains(subject))
                {
                    var registered = schema.Subjects.Count == 0 ? "no subject" : "subject(s) " + string.Join(", ", schema.Subjects.Order(StringComparer.Ordinal).Take(5).Select(s => $"'{s}'"));
                    return new Violation(0, "wrong_subject", $"the {what} uses schema id {id}, which is registered under {registered}, not under '{subject}' ({policy.Strategy})");
                }
            }
            if (topicSubject is not null) (accepted.Id, accepted.Schema) = (id, schema);
        }
        if (policy.RequireEncryption && schema.EncryptedFields.Count > 0)
        {
            // Keyless: the covered fields must carry the clients' ciphertext framing, whatever the check level.
            var decoded = PayloadDecoding.Decode(schema.Parsed(formats), data.Span, indexes, maxNestingDepth, out var decodeProblem);
            if (decoded is null && decodeProblem is not null) return new Violation(0, "payload", $"the {what} does not match schema id {id}: {decodeProblem}");
            if (EncryptedFields.FirstPlaintext(decoded, schema.EncryptedFields) is { } plain)
                return new Violation(0, "unencrypted", $"the {what}'s field '{plain.Field}' arrives in plaintext, but rule '{plain.Rule}' of schema id {id} encrypts it: enable the producer's field encryption");
        }
        if (policy.Check == "id") return null;

        var parsed = schema.Parsed(formats);
        var rules = policy.Check == "rules" && schema.Conditions.Count > 0;
        // With rules to run, a format whose decode is as strict as its validator is walked once, by the decode.
        var decodeChecks = rules && PayloadDecoding.DecodeValidates(parsed);
        if (!decodeChecks && formats.Get(schema.SchemaType) is IPayloadValidator validator && validator.Validate(parsed, data.Span, indexes) is { } invalid)
            return new Violation(0, "payload", $"the {what} does not match schema id {id}: {invalid}");
        if (!rules) return null;

        var message = PayloadDecoding.Decode(parsed, data.Span, indexes, maxNestingDepth, out var decodeError);
        if (message is null && decodeError is not null)
            return decodeChecks ? new Violation(0, "payload", $"the {what} does not match schema id {id}: {decodeError}") : new Violation(0, "rule", $"the {what}'s rules cannot be evaluated: {decodeError}");
        Dictionary<string, object?>? variables = null;
        var conditions = schema.Conditions;
        for (var i = 0; i < conditions.Count; i++)
        {
            var (rule, program, fast, error) = conditions[i];
            if (program is null) return new Violation(0, "rule", $"rule '{rule.Name}' of schema id {id} cannot be evaluated: {error}");
            switch (fast?.Invoke(message))
            {
                case CelFastPath.Outcome.True:
                    continue;
                case CelFastPath.Outcome.False:
                    return new Violation(0, "rule", $"the {what} breaks rule '{rule.Name}' of schema id {id}: {rule.Expr}");
            }
            variables ??= new Dictionary<string, object?> { ["message"] = message };
            object? result;
            try
            {
                result = program(variables!);
            }
            catch (Exception e)
            {
                return new Violation(0, "rule", $"rule '{rule.Name}' ({rule.Expr}) of schema id {id} failed to evaluate on the {what}: {e.Message}");
            }
            if (result is not true) return new Violation(0, "rule", $"the {what} breaks rule '{rule.Name}' of schema id {id}: {rule.Expr}");
        }
        return null;
    }
}

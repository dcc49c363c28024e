using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Formats;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>
    /// A schema parsed for a subject, with the metadata and rule set it would be stored with. <see cref="LegacyIdentityKey"/>
    /// is its identity in the text an earlier version stored for it (<see cref="ParsedSchema.LegacyCanonical"/>).
    /// </summary>
    public sealed record Candidate(
        string SchemaType,
        ParsedSchema Parsed,
        ImmutableArray<SchemaReference> References,
        Metadata? Metadata,
        RuleSet? RuleSet,
        Guid Guid,
        SchemaKey IdentityKey,
        SchemaKey? LegacyIdentityKey = null)
    {
        /// <summary>Whether a stored schema with this identity is this schema.</summary>
        public bool Is(SchemaKey identityKey) => identityKey == IdentityKey || identityKey == LegacyIdentityKey;
    }

    public Decision<RegisteredSchema> Register(RegistryState state, RegisterCommand command)
    {
        var subject = ValidSubject(command.Subject);
        var context = QualifiedSubject.Parse(subject).Context;
        var mode = EffectiveMode(state, subject);
        var importing = command.Id is not null;
        if (mode.IsReadOnly()) throw Errors.NotPermittedError($"Subject {subject} in context {context} is in read-only mode");
        if (importing && mode is not (RegistryMode.Import or RegistryMode.Forward))
            throw Errors.NotPermittedError($"Subject {subject} in context {context} is not in import mode");

        var subjectLimit = settings.SubjectLimits.GetValueOrDefault(context, settings.MaxSubjectsPerContext);
        if (subjectLimit > 0 && !state.Subjects.ContainsKey(subject)
            && state.Subjects.Keys.Count(s => QualifiedSubject.Parse(s).Context == context) >= subjectLimit)
            throw Errors.NotPermittedError($"Context {context} already holds the limit of {subjectLimit} subjects");
        var config = EffectiveConfig(state, subject);
        var normalize = Normalizes(command, config);
        var subjectState = state.Subjects.GetValueOrDefault(subject);
        var nextVersion = (subjectState?.MaxVersion ?? 0) + 1;
        // 0 (or none) and -1 mean "the next version", as in Confluent; -1 also means "compare with the latest only".
        var requested = command.Version ?? 0;

        // As Confluent's registerOrForward: the schema as sent (no contract merged), found under the subject, is the
        // answer when no version is asked for; -1 compares with the latest version only.
        if (!importing && requested is 0 or -1 && subjectState is not null && !string.IsNullOrEmpty(command.Input.Schema) && !config.HasDefaultsOrOverrides)
        {
            var sent = Prepare(state, subject, command.Input, normalize, mergeContract: false, allowDeletedReferences: false);
            if (FindUnder(state, subject, sent, latestOnly: requested == -1, includeDeleted: false) is { } alreadyThere)
                return Decision<RegisteredSchema>.NoChange(alreadyThere);
        }

        // The contract merged from the config and the previous version; confluent:version records the new version when a
        // version was given or the metadata already carries one (not in IMPORT, which stores what it is given).
        var candidate = Prepare(state, subject, command.Input, normalize, mergeContract: !importing, allowDeletedReferences: importing,
            stamp: importing ? null : (nextVersion, Always: requested != 0));

        foreach (var existing in subjectState?.Live.Reverse() ?? [])
        {
            var held = state.SchemaOf(subject, existing);
            if (!candidate.Is(held.IdentityKey)) continue;
            if (importing && command.Id != existing.Id)
                throw Errors.IdMismatchError($"subject '{subject}' version {existing.Version} already has this schema with id {existing.Id}, not {command.Id}");
            // A schema already registered answers with its id and version in any mode that allows writes (IMPORT too).
            return Decision<RegisteredSchema>.NoChange(new RegisteredSchema(subject, existing.Version, held, existing.Timestamp, false));
        }
        if (!importing && mode != RegistryMode.ReadWrite)
            throw Errors.NotPermittedError($"Subject {subject} in context {context} is not in read-write mode");

        // A new version under a review policy comes from an approved proposal (IMPORT replicates what was approved elsewhere).
        if (!importing && !command.ReviewBypass && state.ReviewPolicyFor(subject) is { } review)
            throw ReviewRequiredError(subject, review.Scope, review.Policy);

        if (!importing && !command.Force)
        {
            var messages = CheckCompatibility(state, subject, candidate, EffectiveLevel(state, subject), config, only: null);
            if (messages.Count > 0)
                throw new RegistryException(Errors.IncompatibleSchema,
                    $"Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{string.Join(", ", messages)}]");
        }

        // Ids are per context: the same schema in another context has an id of its own there.
        var knownId = state.IdsByIdentity.TryGetValue((context, candidate.IdentityKey), out var found) ? found
            : candidate.LegacyIdentityKey is { } legacy && state.IdsByIdentity.TryGetValue((context, legacy), out found) ? found : (int?)null;
        int id;
        if (importing)
        {
            id = command.Id!.Value;
            if (id <= 0) throw Errors.InvalidSchemaError($"Invalid id {id}: ids are positive");
            // An id, and a content's binding to its id, are free once every version using them is permanently deleted.
            if (state.LiveSchema(new ContextId(context, id)) is { } holder && !candidate.Is(holder.IdentityKey))
                throw Errors.NotPermittedError($"Overwrite new schema with id {id} in context {context} is not permitted.");
            if (knownId is not null && knownId != id && state.Usages.ContainsKey(new ContextId(context, knownId.Value)))
                throw Errors.IdMismatchError($"this schema is already registered with id {knownId}, not {id}");
        }
        else
        {
            id = knownId ?? state.MaxIdIn(context) + 1;
        }

        var version = nextVersion;
        if (requested is not (0 or -1))
        {
            if (importing)
            {
                if (requested < 1) throw Errors.InvalidVersionError(requested.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (subjectState?.Versions.ContainsKey(requested) == true)
                    throw Errors.NotPermittedError($"Subject {subject} already has version {requested} with a different schema");
                version = requested;
            }
            else if (requested != nextVersion)
            {
                throw Errors.InvalidSchemaError("Version is not one more than previous version");
            }
        }

        // A backup restored in IMPORT mode keeps each version's registration time.
        var now = importing && command.Timestamp is > 0 ? command.Timestamp.Value : Now;
        // A schema already stored under this id keeps its text (an earlier version may have printed it another way).
        var stored = state.Schemas.GetValueOrDefault(new ContextId(context, id)) is { } same && candidate.Is(same.IdentityKey) ? same
            : new StoredSchema(context, id, candidate.SchemaType, candidate.Parsed.Canonical, candidate.References, candidate.Metadata, candidate.RuleSet, candidate.Guid, candidate.IdentityKey);
        var registered = new SchemaRegistered(subject, version, id, stored.SchemaType, stored.Schema, stored.References, stored.Metadata, stored.RuleSet, now);
        // As Confluent: older soft-deleted versions of the subject with this id go for good, unless something references them.
        var superseded = (subjectState?.Versions.Values ?? []).Where(v => v.Deleted && v.Id == id && v.Version != version
            && ReferencedBy(state, subject, v.Version, includeDeleted: true).Count == 0).Select(v => (RegistryEvent)new VersionHardDeleted(subject, v.Version));
        return new Decision<RegisteredSchema>(new RegisteredSchema(subject, version, stored, now, false), [.. superseded, registered]);
    }

    /// <summary>
    /// Parses the schema a registration of <paramref name="command"/> will parse, so that the engine can do it before the
    /// write queues for its batch (the parse is the expensive part; the decision in the batch finds it cached). Whatever
    /// is wrong with the command is left for that decision to say.
    /// </summary>
    public void Warm(RegistryState state, RegisterCommand command)
    {
        try
        {
            var subject = ValidSubject(command.Subject);
            Prepare(state, subject, command.Input, Normalizes(command, EffectiveConfig(state, subject)), mergeContract: false, allowDeletedReferences: command.Id is not null);
        }
        catch (RegistryException)
        {
        }
    }

    // IMPORT keeps what it is given: no normalization, so a migrated schema keeps its text, GUID and identity.
    private static bool Normalizes(RegisterCommand command, SubjectConfig config) => command.Id is null && (command.Normalize || config.Normalize == true);

    /// <summary>
    /// Validates and parses a schema for a subject: size limit, type, references, canonical text, and
    /// (unless importing) metadata and rules inherited from the previous version and the config.
    /// </summary>
    /// <remarks>
    /// With <paramref name="stamp"/>, <c>confluent:version</c> is set to its version when <c>Always</c> (a version was asked
    /// for) or when the merged metadata already carries one, as Confluent's maybeSetMetadataRuleSet does.
    /// </remarks>
    public Candidate Prepare(RegistryState state, string subject, SchemaInput input, bool normalize, bool mergeContract, bool allowDeletedReferences,
        (int Version, bool Always)? stamp = null)
    {
        var schema = input.Schema;
        var schemaType = input.SchemaType ?? "AVRO";
        var references = input.References ?? [];
        var previous = state.Subjects.GetValueOrDefault(subject)?.LatestLive is { } latest ? state.SchemaOf(subject, latest) : null;
        if (string.IsNullOrEmpty(schema))
        {
            if (previous is null) throw Errors.InvalidSchemaError("Empty schema");
            schema = previous.Schema;
            schemaType = previous.SchemaType;
            references = previous.References;
        }
        if (schema.Length > settings.MaxSchemaLength) throw Errors.SchemaTooLargeError(schema.Length, settings.MaxSchemaLength);
        formats.Get(schemaType);
        var context = QualifiedSubject.Parse(subject).Context;
        var resolved = ResolveReferences(state, context, references, allowDeletedReferences);
        var parsed = formats.Parse(schemaType, schema, resolved, normalize);
        // A new schema (registered or checked, not imported) meets the strict checks under validateNewSchemas or normalize.
        if (mergeContract && (normalize || EffectiveConfig(state, subject).ValidateNewSchemas == true) && parsed.StrictProblem is { } problem)
            throw Errors.InvalidSchemaError($"Invalid schema: {problem}");

        var metadata = input.Metadata?.NullIfEmpty();
        var ruleSet = input.RuleSet?.NullIfEmpty();
        if (mergeContract)
        {
            var config = EffectiveConfig(state, subject);
            metadata = Metadata.Merge(Metadata.Merge(config.DefaultMetadata, metadata ?? previous?.Metadata), config.OverrideMetadata);
            ruleSet = RuleSet.Merge(RuleSet.Merge(config.DefaultRuleSet, ruleSet ?? previous?.RuleSet), config.OverrideRuleSet);
        }
        if (stamp is { } s && (s.Always || Metadata.HasConfluentVersion(metadata))) metadata = Metadata.WithConfluentVersion(metadata, s.Version);
        RuleSetValidator.Validate(ruleSet);

        var refArray = references.Count == 0 ? [] : StoredReferences(references, resolved, normalize);
        // The format was found by this exact type name, so the parse's own type is this one and its kept identity applies.
        var identity = refArray.IsEmpty && metadata is null && ruleSet is null
            ? parsed.IdentityAlone
            : ParsedIdentity.Of(schemaType, parsed, refArray, metadata, ruleSet);
        return new Candidate(schemaType, parsed, refArray, metadata, ruleSet, identity.Guid, identity.Key, identity.LegacyKey);
    }

    /// <summary>References as stored: subjects in their stored form, <c>-1</c> pinned to the version it resolved to, and
    /// under normalization without repeats and in order.</summary>
    private static ImmutableArray<SchemaReference> StoredReferences(IReadOnlyList<SchemaReference> references, IReadOnlyList<ResolvedReference> resolved, bool normalize)
    {
        var refs = references.Select(r => r with { Subject = QualifiedSubject.Normalize(r.Subject), Version = r.Version == -1 ? resolved.First(x => x.Name == r.Name).Version : r.Version });
        if (normalize) refs = refs.Distinct().OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Subject, StringComparer.Ordinal).ThenBy(r => r.Version);
        return refs.ToImmutableArray();
    }

    /// <summary>
    /// The version of a subject holding a schema, as Confluent's lookUpSchemaUnderSubject finds it: the exact schema
    /// (metadata and rules included), else, newest first, a version it can look up (<see cref="CanLookup"/>).
    /// </summary>
    private RegisteredSchema? FindUnder(RegistryState state, string subject, Candidate candidate, bool latestOnly, bool includeDeleted)
    {
        if (!state.Subjects.TryGetValue(subject, out var subjectState)) return null;
        SubjectVersion? match = null;
        if (latestOnly)
        {
            if (subjectState.Latest(includeDeleted) is { } latest && CanLookup(state, candidate, state.SchemaOf(subject, latest), latest.Version)) match = latest;
        }
        else
        {
            // The newest version holding exactly this schema, in one pass without a list or a closure (a lookup's usual answer).
            foreach (var (_, v) in subjectState.Versions)
                if ((includeDeleted || !v.Deleted) && candidate.Is(state.SchemaOf(subject, v).IdentityKey)) match = v;
            match ??= NewestLookingUp(state, subjectState, candidate, includeDeleted);
        }
        return match is null ? null : new RegisteredSchema(subject, match.Version, state.SchemaOf(subject, match), match.Timestamp, match.Deleted);
    }

    private SubjectVersion? NewestLookingUp(RegistryState state, SubjectState subject, Candidate candidate, bool includeDeleted) =>
        subject.Versions.Values.Reverse().FirstOrDefault(v => (includeDeleted || !v.Deleted) && CanLookup(state, candidate, state.SchemaOf(subject.Name, v), v.Version));

    /// <summary>
    /// Confluent's canLookup: a schema sent with its references resolved inline is the version that references them;
    /// otherwise canLookupIgnoringVersion: the same schema, where a <c>confluent:version</c> on one side only is ignored
    /// (and, when the sent schema carries it, must be the version it is compared with).
    /// </summary>
    private bool CanLookup(RegistryState state, Candidate current, StoredSchema previous, int previousVersion)
    {
        // A schema sent with what its references define written inline finds the version that has them as references.
        if (current.References.IsDefaultOrEmpty && !previous.References.IsDefaultOrEmpty && current.SchemaType == previous.SchemaType
            && current.Parsed.Resolved is { } resolved && ResolvedOf(state, previous) == resolved)
            return true;
        var currentVersion = Metadata.ConfluentVersionOf(current.Metadata);
        var storedVersion = Metadata.ConfluentVersionOf(previous.Metadata);
        var currentMetadata = current.Metadata;
        var previousMetadata = previous.Metadata;
        if (currentVersion is null && storedVersion is not null)
        {
            previousMetadata = Metadata.WithoutConfluentVersion(previousMetadata);
        }
        else if (currentVersion is not null && storedVersion is null)
        {
            if (currentVersion != previousVersion) return false;
            currentMetadata = Metadata.WithoutConfluentVersion(currentMetadata);
        }
        return current.SchemaType == previous.SchemaType && (current.Parsed.Canonical == previous.Schema || current.Parsed.LegacyCanonical == previous.Schema)
            && current.References.SequenceEqual(previous.References)
            && Equals(currentMetadata?.NullIfEmpty(), previousMetadata?.NullIfEmpty())
            && Equals(current.RuleSet?.NullIfEmpty(), previous.RuleSet?.NullIfEmpty());
    }

    /// <summary>
    /// Confluent's validateReservedFields: the fields the latest version's <c>confluent:reserved</c> lists stay listed,
    /// and no top-level field of the new schema uses a reserved name.
    /// </summary>
    private static List<string> ReservedFieldProblems(RegistryState state, string subject, Candidate candidate)
    {
        var problems = new List<string>();
        var reserved = Metadata.ReservedFields(candidate.Metadata);
        if (state.Subjects.GetValueOrDefault(subject)?.LatestLive is { } latest)
        {
            foreach (var removed in Metadata.ReservedFields(state.SchemaOf(subject, latest).Metadata).Where(f => !reserved.Contains(f)).Order(StringComparer.Ordinal))
                problems.Add($"The new schema has reserved field {removed} removed from its metadata which is present in the old schema's metadata.");
        }
        foreach (var field in reserved.Order(StringComparer.Ordinal).Where(candidate.Parsed.HasTopLevelField))
            problems.Add($"The new schema has field that conflicts with the reserved field {field}.");
        return problems;
    }

    private string? ResolvedOf(RegistryState state, StoredSchema schema)
    {
        try
        {
            return ParseStored(state, schema).Resolved;
        }
        catch (RegistryException)
        {
            return null;
        }
    }

    /// <summary>A stored schema as a candidate, to compare two registered versions with the same rules as a registration.</summary>
    public Candidate CandidateOf(RegistryState state, StoredSchema stored) =>
        new(stored.SchemaType, ParseStored(state, stored), stored.References, stored.Metadata, stored.RuleSet, stored.Guid, stored.IdentityKey);

    /// <summary>
    /// Checks a candidate against the subject's live versions (or one version) at a level, as Confluent does:
    /// newest first, stopping at the first version that fails; empty when compatible.
    /// </summary>
    public IReadOnlyList<string> CheckCompatibility(RegistryState state, string subject, Candidate candidate, CompatibilityLevel level, SubjectConfig config, SubjectVersion? only)
    {
        var reserved = config.ValidateFields == true ? ReservedFieldProblems(state, subject, candidate) : [];
        if (reserved.Count > 0) return [.. reserved, $"{{validateFields: 'true', compatibility: '{level.ToName()}'}}"];
        if (level == CompatibilityLevel.None) return [];
        IEnumerable<SubjectVersion> previous;
        if (only is not null)
        {
            previous = [only];
        }
        else
        {
            var live = state.Subjects.GetValueOrDefault(subject)?.Live ?? [];
            if (config.CompatibilityGroup is { Length: > 0 } group)
            {
                var value = candidate.Metadata?.Properties?.GetValueOrDefault(group);
                live = live.Where(v => state.SchemaOf(subject, v).Metadata?.Properties?.GetValueOrDefault(group) == value);
            }
            var newestFirst = live.Reverse().ToList();
            previous = level.IsTransitive() ? newestFirst : newestFirst.Take(1);
        }

        var format = formats.Get(candidate.SchemaType);
        foreach (var old in previous)
        {
            var oldSchema = state.SchemaOf(subject, old);
            var messages = new List<string>();
            if (oldSchema.SchemaType != candidate.SchemaType)
            {
                messages.Add("Incompatible because of different schema type");
            }
            else
            {
                var oldParsed = ParseStored(state, oldSchema);
                var lenient = string.Equals(config.CompatibilityPolicy, "LENIENT", StringComparison.OrdinalIgnoreCase);
                if (level.ChecksBackward()) messages.AddRange(format.CheckCompatibility(candidate.Parsed, oldParsed, "new", "old", lenient));
                if (level.ChecksForward()) messages.AddRange(format.CheckCompatibility(oldParsed, candidate.Parsed, "old", "new", lenient));
            }
            if (messages.Count == 0) continue;
            messages.Add($"{{oldSchemaVersion: {old.Version}}}");
            messages.Add(oldSchema.Schema.Length > 10 * 1024
                ? $"{{oldSchema: <truncated> '{oldSchema.Schema[..(10 * 1024)]}'}}"
                : $"{{oldSchema: '{oldSchema.Schema}'}}");
            messages.Add($"{{validateFields: '{(config.ValidateFields == true ? "true" : "false")}', compatibility: '{level.ToName()}'}}");
            return messages;
        }
        return [];
    }
}

using System.Collections.Immutable;
using FsCheck.Xunit;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;

namespace Registry.Core.Tests;

/// <summary>Laws of the fold: replaying the log gives the live state; the same commands give the same state; ids are unique.</summary>
public sealed class RegistryStateTests
{
    private static readonly RegistryDecider Decider = new(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), new FixedTime());

    /// <summary>Runs commands derived from the numbers, returning the live state and the log.</summary>
    private static (RegistryState State, List<LogEntry> Log) Run(int[] ops)
    {
        var state = RegistryState.Empty;
        var log = new List<LogEntry>();
        foreach (var op in ops)
        {
            var n = Math.Abs(op % 1000);
            var subject = "s" + (n % 4);
            try
            {
                var events = (n % 10) switch
                {
                    < 6 => Decider.Register(state, new RegisterCommand(subject,
                        new SchemaInput(Schema(n % 7), null, null, null, null), null, null, false, Force: n % 2 == 0)).Events,
                    6 => Decider.DeleteVersion(state, subject, "latest", permanent: false).Events,
                    7 => Decider.DeleteSubject(state, subject, permanent: n % 20 == 7).Events,
                    8 => Decider.SetConfig(state, subject, new SubjectConfig(CompatibilityLevel: n % 3 == 0 ? "NONE" : "FULL")).Events,
                    _ => Decider.SetMode(state, n % 3 == 0 ? null : subject, "READWRITE", force: false).Events,
                };
                foreach (var e in events)
                {
                    var entry = new LogEntry(state.Position + 1, e);
                    log.Add(entry);
                    state = state.Apply(entry);
                }
            }
            catch (RegistryException)
            {
                // A refused command appends nothing.
            }
        }
        return (state, log);
    }

    private static string Schema(int n) =>
        $$"""{"type":"record","name":"R","fields":[{"name":"a","type":"string"}{{string.Concat(Enumerable.Range(0, n).Select(i => $$""",{"name":"f{{i}}","type":"int","default":0}"""))}}]}""";

    private static string Dump(RegistryState s) => string.Join("\n",
        s.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
        string.Join(";", s.Schemas.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value.IdentityKey}")),
        string.Join(";", s.Subjects.Values.SelectMany(x => x.Versions.Values.Select(v => $"{x.Name}/{v.Version}={v.Id}:{v.Deleted}"))),
        string.Join(";", s.Usages.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={string.Join(",", kv.Value.Select(u => $"{u.Subject}/{u.Version}"))}")),
        string.Join(";", s.Configs.Select(kv => $"{kv.Key}={CanonicalJson.Serialize(kv.Value)}")),
        string.Join(";", s.Modes.Select(kv => $"{kv.Key}={kv.Value}")));

    [Property(MaxTest = 200)]
    public bool Replaying_the_log_gives_the_live_state(int[] ops)
    {
        var (live, log) = Run(ops);
        var replayed = RegistryState.Empty.ApplyAll(log.Select(e => new LogEntry(e.Position, EventSerializer.Deserialize(EventSerializer.Serialize(e.Event)))));
        return Dump(live) == Dump(replayed);
    }

    [Property(MaxTest = 100)]
    public bool The_fold_is_deterministic(int[] ops) => Dump(Run(ops).State) == Dump(Run(ops).State);

    [Property(MaxTest = 200)]
    public bool Ids_are_unique_and_versions_never_repeat(int[] ops)
    {
        var (state, log) = Run(ops);
        var identities = state.Schemas.Values.Select(s => s.IdentityKey).ToList();
        var registrations = log.Select(e => e.Event).OfType<SchemaRegistered>().GroupBy(r => (r.Subject, r.Version));
        return identities.Distinct().Count() == identities.Count
            && state.Subjects.Values.All(s => s.Versions.Keys.SequenceEqual(s.Versions.Keys.Order()))
            && registrations.All(g => g.Select(r => r.Id).Distinct().Count() == 1 || log.Any(e => e.Event is VersionHardDeleted));
    }

    [Fact]
    public void Registering_the_same_schema_twice_returns_the_same_id_and_appends_nothing()
    {
        var command = new RegisterCommand("s", new SchemaInput(Schema(0), null, null, null, null), null, null, false, false);
        var first = Decider.Register(RegistryState.Empty, command);
        var state = RegistryState.Empty.ApplyAll(first.Events.Select((e, i) => new LogEntry(i + 1, e)));
        var second = Decider.Register(state, command);
        Assert.Empty(second.Events);
        Assert.Equal(first.Result.Schema.Id, second.Result.Schema.Id);
        var other = Decider.Register(state, command with { Subject = "t" });
        Assert.Equal(first.Result.Schema.Id, other.Result.Schema.Id);
        Assert.Equal(1, other.Result.Version);
    }

    [Fact]
    public void An_event_reusing_an_id_for_another_schema_is_ignored_by_the_fold()
    {
        var a = new SchemaRegistered("s", 1, 1, "AVRO", "\"int\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var b = new SchemaRegistered("t", 1, 1, "AVRO", "\"long\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var state = RegistryState.Empty.Apply(new LogEntry(1, a)).Apply(new LogEntry(2, b));
        Assert.Equal("\"int\"", state.Schemas[new ContextId(".", 1)].Schema);
        Assert.False(state.Subjects.ContainsKey("t"));
    }

    [Fact]
    public void The_same_id_in_two_contexts_means_two_schemas_and_each_context_counts_on_its_own()
    {
        // As a Confluent _schemas topic with contexts holds them: id 1 in "." and id 1 in ".t1".
        var a = new SchemaRegistered("s", 1, 1, "AVRO", "\"int\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var b = new SchemaRegistered(":.t1:s", 1, 1, "AVRO", "\"long\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);
        // A log written while ids were global: ".t1" holds id 5, and replays as id 5 of ".t1".
        var c = new SchemaRegistered(":.t1:t", 1, 5, "AVRO", "\"string\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var state = RegistryState.Empty.ApplyAll([new LogEntry(1, a), new LogEntry(2, b), new LogEntry(3, c)]);
        Assert.Equal("\"int\"", state.Schemas[new ContextId(".", 1)].Schema);
        Assert.Equal("\"long\"", state.Schemas[new ContextId(".t1", 1)].Schema);
        Assert.Equal(1, state.MaxIdIn("."));
        Assert.Equal(5, state.MaxIdIn(".t1"));

        var command = new RegisterCommand("u", new SchemaInput("\"long\"", null, null, null, null), null, null, false, false);
        Assert.Equal(2, Decider.Register(state, command).Result.Schema.Id);
        Assert.Equal(1, Decider.Register(state, command with { Subject = ":.t1:u" }).Result.Schema.Id);
        Assert.Equal(6, Decider.Register(state, command with { Subject = ":.t1:u", Input = new SchemaInput("\"double\"", null, null, null, null) }).Result.Schema.Id);
    }

    [Fact]
    public void A_stored_schema_keeps_any_text_exactly_and_the_same_text_in_two_formats_is_two_schemas()
    {
        var text = """{"type":"record","name":"Größe","doc":"mesure 📏 \u00e9","fields":[]}""";
        var avro = new SchemaRegistered("a", 1, 1, "AVRO", text, ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var json = new SchemaRegistered("j", 1, 2, "JSON", text, ImmutableArray<SchemaReference>.Empty, null, null, 0);
        var state = RegistryState.Empty.ApplyAll([new LogEntry(1, avro), new LogEntry(2, json)]);
        var stored = state.Schemas[new ContextId(".", 1)];
        Assert.Equal(text, stored.Schema);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(text), stored.SchemaUtf8.ToArray());
        Assert.NotEqual(stored.IdentityKey, state.Schemas[new ContextId(".", 2)].IdentityKey);
        Assert.Equal(stored.Guid, state.Schemas[new ContextId(".", 2)].Guid);
        Assert.Equal(2, state.IdsByIdentity.Count);
    }

    [Fact]
    public void The_latest_version_follows_every_change_of_the_versions()
    {
        var state = RegistryState.Empty;
        for (var v = 1; v <= 3; v++)
            state = state.Apply(new LogEntry(v, new SchemaRegistered("s", v, v, "AVRO", $"{{\"type\":\"fixed\",\"name\":\"F\",\"size\":{v}}}", ImmutableArray<SchemaReference>.Empty, null, null, 0)));
        Assert.Equal(3, state.Subjects["s"].LatestLive!.Version);
        state = state.Apply(new LogEntry(4, new SubjectSoftDeleted("s", 3)));
        Assert.Null(state.Subjects["s"].LatestLive);
        Assert.False(state.Subjects["s"].HasLive);
        Assert.Equal(3, state.Subjects["s"].Latest(includeDeleted: true)!.Version);
        state = state.Apply(new LogEntry(5, new VersionHardDeleted("s", 3)));
        Assert.Equal(2, state.Subjects["s"].MaxVersion);
        state = state.Apply(new LogEntry(6, new SchemaRegistered("s", 4, 9, "AVRO", "\"int\"", ImmutableArray<SchemaReference>.Empty, null, null, 0)));
        Assert.Equal(4, state.Subjects["s"].LatestLive!.Version);
        Assert.Equal(4, state.Subjects["s"].MaxVersion);
    }

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}

using System.Collections.Immutable;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Exporting;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;
using Registry.Testing;

namespace Registry.Core.Tests;

/// <summary>Where an exporter sends each change, and the leases that let exactly one node run it.</summary>
public sealed class ExportRouteTests
{
    private static readonly ImmutableSortedDictionary<string, string> Url =
        ImmutableSortedDictionary<string, string>.Empty.Add(ExportRoute.UrlKey, "http://dr:8081");

    private static ExporterDefinition Exporter(string contextType = ExporterDefinition.Auto, string? context = null, string? rename = null, params string[] subjects) =>
        new("dr", contextType, context, subjects.Length == 0 ? ExporterDefinition.AllSubjects : [.. subjects], rename, null, Url, false);

    private static SchemaRegistered Registered(string subject, params SchemaReference[] references) =>
        new(subject, 1, 7, "AVRO", "\"int\"", [.. references], null, null, 1000);

    [Fact]
    public void Contexts_follow_the_context_type()
    {
        Assert.Equal(":.dr:orders", new ExportRoute(Exporter()).Destination("orders"));
        Assert.Equal(":.west:orders", new ExportRoute(Exporter(), autoContextName: "west").Destination("orders"));
        Assert.Equal(":.east:orders", new ExportRoute(Exporter(ExporterDefinition.Custom, ".east")).Destination("orders"));
        Assert.Equal("orders", new ExportRoute(Exporter(ExporterDefinition.None)).Destination("orders"));
        Assert.Equal(":.t1:orders", new ExportRoute(Exporter(ExporterDefinition.None)).Destination(":.t1:orders"));
        Assert.Equal(":.dr:dc_orders", new ExportRoute(Exporter(rename: "dc_${subject}")).Destination("orders"));
    }

    [Fact]
    public void Subjects_are_selected_by_name_prefix_and_context()
    {
        var route = new ExportRoute(Exporter(subjects: ["orders-*", "users", ":.t1:*"]));
        Assert.True(route.Selects("orders-value"));
        Assert.True(route.Selects("users"));
        Assert.False(route.Selects("users-value"));
        Assert.False(route.Selects("payments"));
        Assert.True(route.Selects(":.t1:anything"));
        Assert.False(route.Selects(":.t2:orders-value"));
        // "*" is the default context only; ":*:" is every context.
        Assert.False(new ExportRoute(Exporter()).Selects(":.t1:orders"));
        Assert.True(new ExportRoute(Exporter(subjects: [ExportRoute.AllContexts])).Selects(":.t1:orders"));
    }

    [Fact]
    public void Registrations_keep_id_and_version_and_references_name_the_copies()
    {
        var route = new ExportRoute(Exporter(rename: "dc_${subject}"));
        var op = Assert.IsType<ExportRegister>(Assert.Single(route.Map(Registered("payments", new SchemaReference("Common", "common", 2)))));
        Assert.Equal((":.dr:dc_payments", 1, 7), (op.Subject, op.Version, op.Id));
        // Relative to the copy's context, as the source's reference is relative to the source's.
        Assert.Equal(new SchemaReference("Common", "dc_common", 2), Assert.Single(op.References));

        var none = new ExportRoute(Exporter(ExporterDefinition.None, subjects: [ExportRoute.AllContexts]));
        var cross = Assert.IsType<ExportRegister>(Assert.Single(none.Map(Registered(":.t1:a", new SchemaReference("B", ":.t2:b", 1), new SchemaReference("C", "c", 1)))));
        Assert.Equal([":.t2:b", "c"], cross.References.Select(r => r.Subject));
    }

    [Fact]
    public void Deletes_and_configs_map_and_other_events_are_not_copied()
    {
        var route = new ExportRoute(Exporter(subjects: ["a*"]));
        var soft = Assert.IsType<ExportDeleteVersion>(Assert.Single(route.Map(Registered("a1") with { Deleted = true })));
        Assert.False(soft.Permanent);
        Assert.NotNull(soft.IfMissing);
        Assert.True(Assert.IsType<ExportDeleteVersion>(Assert.Single(route.Map(new VersionHardDeleted("a1", 1)))).Permanent);
        Assert.Equal(":.dr:a1", Assert.IsType<ExportDeleteSubject>(Assert.Single(route.Map(new SubjectSoftDeleted("a1", 3)))).Subject);
        var config = new SubjectConfig(CompatibilityLevel: "FULL");
        Assert.Equal(new ExportConfig(":.dr:a1", config), Assert.Single(route.Map(new ConfigSet("a1", config))));
        Assert.Equal(new ExportConfig(":.dr:a1", null), Assert.Single(route.Map(new ConfigCleared("a1"))));
        // The source's top-level config becomes the destination context's; NONE leaves the destination's own alone.
        Assert.Equal(new ExportConfig(":.dr:", config), Assert.Single(route.Map(new ConfigSet(null, config))));
        Assert.Empty(new ExportRoute(Exporter(ExporterDefinition.None)).Map(new ConfigSet(null, config)));
        Assert.Empty(route.Map(new ConfigSet(":.__GLOBAL:", config)));
        Assert.Empty(route.Map(Registered("b1")));
        Assert.Empty(route.Map(new ModeSet("a1", RegistryMode.ReadOnly)));
        Assert.Empty(route.Map(new PolicySet("t", new TopicPolicy())));
        Assert.Empty(route.Map(new ExporterProgressed(ExporterProgress.Initial("dr"))));
    }

    [Fact]
    public void One_node_holds_the_lease_until_it_ends_and_a_reset_takes_it_away()
    {
        var clock = new ManualClock();
        var decider = new RegistryDecider(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), clock);
        var state = Apply(RegistryState.Empty, decider.CreateExporter(RegistryState.Empty, Exporter()).Events);
        var definition = state.Exporters["dr"].Definition;
        var lease = TimeSpan.FromSeconds(30);

        state = Apply(state, decider.ClaimExporter(state, definition, "n1", null, "", lease).Events);
        Assert.Equal("n1", state.Exporters["dr"].Progress.Owner);
        Assert.Equal(RegistryDecider.ExporterRunning, Assert.Throws<RegistryException>(() => decider.ClaimExporter(state, definition, "n2", null, "", lease)).ErrorCode);
        state = Apply(state, decider.ClaimExporter(state, definition, "n1", 42, "", lease).Events);
        Assert.Equal(42, state.Exporters["dr"].Progress.Position);

        // The lease runs out: n2 takes over from where n1 recorded, and n1's next renewal is refused.
        clock.Now = clock.Now.AddSeconds(31);
        state = Apply(state, decider.ClaimExporter(state, definition, "n2", null, "", lease).Events);
        Assert.Equal(("n2", 42L), (state.Exporters["dr"].Progress.Owner, state.Exporters["dr"].Progress.Position));
        Assert.Throws<RegistryException>(() => decider.ClaimExporter(state, definition, "n1", 50, "", lease));

        // Paused and reset: a renewal of the old run is refused, and a new claim starts at 0.
        state = Apply(state, RegistryDecider.PauseExporter(state, "dr").Events);
        Assert.Throws<RegistryException>(() => decider.ClaimExporter(state, definition, "n2", 60, "", lease));
        state = Apply(state, RegistryDecider.ResetExporter(state, "dr").Events);
        state = Apply(state, RegistryDecider.ResumeExporter(state, "dr").Events);
        Assert.Throws<RegistryException>(() => decider.ClaimExporter(state, definition, "n2", 60, "", lease));
        state = Apply(state, decider.ClaimExporter(state, definition, "n2", null, "", lease).Events);
        Assert.Equal(0, state.Exporters["dr"].Progress.Position);

        // Progress of a deleted exporter does not bring it back.
        var progress = decider.ClaimExporter(state, definition, "n2", 5, "", lease).Events;
        state = Apply(state, RegistryDecider.DeleteExporter(state, "dr").Events);
        Assert.Empty(Apply(state, progress).Exporters);
    }

    [Fact]
    public void Exporter_events_survive_the_log_format()
    {
        RegistryEvent[] events =
        [
            new ExporterPut(Exporter(ExporterDefinition.Custom, ".east", "x_${subject}", "a*", ":.t1:b")),
            new ExporterProgressed(new ExporterProgress("dr", 9, 1000, "refused", "n1", 2000)),
            new ExporterDeleted("dr"),
        ];
        foreach (var e in events)
        {
            var back = EventSerializer.Deserialize(EventSerializer.Serialize(e));
            Assert.Equal(EventSerializer.Serialize(e), EventSerializer.Serialize(back));
        }
        var put = (ExporterPut)EventSerializer.Deserialize(EventSerializer.Serialize(events[0]));
        Assert.Equal(["a*", ":.t1:b"], put.Exporter.Subjects.ToArray());
        Assert.Equal("http://dr:8081", put.Exporter.Config[ExportRoute.UrlKey]);
    }

    private static RegistryState Apply(RegistryState state, IEnumerable<RegistryEvent> events)
    {
        foreach (var e in events) state = state.Apply(e);
        return state;
    }
}

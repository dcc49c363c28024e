using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;

namespace Registry.Cli.Commands;

/// <summary>
/// A registry in memory, deciding with the same code as the server, so offline verdicts equal online ones.
/// </summary>
internal sealed class OfflineRegistry
{
    private readonly RegistryDecider _decider;
    private RegistryState _state = RegistryState.Empty;

    public OfflineRegistry(CompatibilityLevel level) =>
        _decider = new RegistryDecider(FormatCatalog.Create(new FormatLimits()), new RegistrySettings { DefaultCompatibility = level }, TimeProvider.System);

    /// <summary>Registers a schema without checking it (earlier versions and reference files).</summary>
    public void Add(string subject, SchemaFile file, IReadOnlyList<SchemaReference> references)
    {
        var decision = _decider.Register(_state, new RegisterCommand(subject, new SchemaInput(file.Text, file.SchemaType, references, null, null), null, null, false, Force: true));
        foreach (var e in decision.Events) _state = _state.Apply(new LogEntry(_state.Position + 1, e));
    }

    public IReadOnlyList<string> Check(string subject, SchemaFile file, IReadOnlyList<SchemaReference> references, bool normalize) =>
        _decider.TestCompatibility(_state, subject, null, new SchemaInput(file.Text, file.SchemaType, references, null, null), normalize);
}

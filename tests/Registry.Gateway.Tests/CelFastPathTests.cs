using Registry.Gateway.Validation;

namespace Registry.Gateway.Tests;

/// <summary>The fast CEL subset against the general interpreter (the Cel package): where it decides, it decides the same.</summary>
public sealed class CelFastPathTests
{
    private static readonly Dictionary<string, object?>[] Messages =
    [
        new() { ["id"] = "order-1", ["amount"] = 5L, ["qty"] = 3, ["price"] = 2.5, ["country"] = "DE", ["tags"] = new object?[] { "a", "b" }, ["note"] = null, ["active"] = true,
            ["address"] = new Dictionary<string, object?> { ["city"] = "Berlin", ["zip"] = "10115" } },
        new() { ["id"] = "", ["amount"] = -1L, ["qty"] = 0, ["price"] = 0.0, ["country"] = "US", ["tags"] = Array.Empty<object?>(), ["note"] = "ü€", ["active"] = false,
            ["address"] = new Dictionary<string, object?> { ["city"] = "", ["zip"] = null } },
        new() { ["id"] = "x", ["amount"] = long.MaxValue, ["qty"] = int.MinValue, ["price"] = double.NaN, ["country"] = "FR", ["tags"] = new object?[] { "c" }, ["note"] = "", ["active"] = true,
            ["address"] = new Dictionary<string, object?>() },
    ];

    // Each decided by the fast path for the first message at least: the subset covers what contracts usually say.
    private static readonly string[] Decided =
    [
        "message.amount >= 0", "message.amount > 0 && message.qty > 0", "message.amount < 0 || message.active", "!message.active",
        "message.id != ''", "size(message.id) > 0", "message.id.size() <= 10", "message.country in ['DE', 'FR']", "message.tags.size() == 2",
        "message.price > 1.0", "message.qty * 2 == 6", "message.amount + 1 == 6", "message.amount % 2 == 1", "message.id.startsWith('order-')",
        "message.id.endsWith('-1')", "message.id.contains('der')", "message.address.city == 'Berlin'",
        "message.note == null", "message.active ? message.amount > 0 : true", "message.tags[0] == 'a'", "(message.amount - 5) / 1 == 0",
        "-message.amount < 0", "'zip' in message.address", "message.amount == 5 && (message.country == 'DE' || message.country == 'AT')",
    ];

    // Outside the subset or undecidable exactly: these must come back Unknown (or null) for some message, never a wrong answer.
    private static readonly string[] Others =
    [
        "message.missing == 1", "message.amount >= 0.5", "message.amount == 'five'", "message.amount + 1 > 0", "message.id < 'b'",
        "message.id.matches('^o')", "timestamp('2024-01-01T00:00:00Z') < now", "message.tags.all(t, t != '')", "message.amount",
        "message.qty - 1 < 0", "message.price == message.price", "1 / 0 == 0", "0x10 == 16", "1u == 1u", "size(message.note) > 0",
        "message.address.zip.size() == 5", "has(message.address.city)", "message.tags[5] == 'x'", "message.amount > 0 == true",
    ];

    [Fact]
    public void Where_the_fast_path_decides_it_agrees_with_the_interpreter_and_it_decides_the_usual_conditions()
    {
        var environment = new Cel.CelEnvironment(null, "");
        var decided = 0;
        foreach (var expression in Decided.Concat(Others))
        {
            var fast = CelFastPath.TryCompile(expression);
            var program = TryCompile(environment, expression);
            foreach (var message in Messages)
            {
                var outcome = fast?.Invoke(message) ?? CelFastPath.Outcome.Unknown;
                if (outcome == CelFastPath.Outcome.Unknown) continue;
                decided++;
                Assert.True(program is not null, $"{expression}: the fast path decided what the interpreter does not compile");
                object? expected;
                try
                {
                    expected = program!(new Dictionary<string, object?> { ["message"] = message }!);
                }
                catch (Exception e)
                {
                    Assert.Fail($"{expression} on {string.Join(",", message.Select(kv => kv.Key + "=" + kv.Value))}: the fast path said {outcome}, the interpreter failed: {e.Message}");
                    continue;
                }
                Assert.True(expected is bool b && b == (outcome == CelFastPath.Outcome.True),
                    $"{expression} on {string.Join(",", message.Select(kv => kv.Key + "=" + kv.Value))}: fast {outcome}, interpreter {expected}");
            }
        }
        foreach (var expression in Decided)
            Assert.True(CelFastPath.TryCompile(expression)?.Invoke(Messages[0]) is CelFastPath.Outcome.True or CelFastPath.Outcome.False, $"{expression} was not decided by the fast path");
        Assert.True(decided > Decided.Length * 2, $"only {decided} decisions");
    }

    [Fact]
    public void What_the_interpreter_must_decide_is_left_to_it()
    {
        var message = Messages[0];
        foreach (var expression in new[] { "message.missing == 1", "message.amount >= 0.5", "message.id.matches('^o')", "message.amount", "timestamp('2024-01-01T00:00:00Z') < now" })
            Assert.Equal(CelFastPath.Outcome.Unknown, CelFastPath.TryCompile(expression)?.Invoke(message) ?? CelFastPath.Outcome.Unknown);
        // Logic that CEL decides whichever side errs: false && error is false, true || error is true.
        Assert.Equal(CelFastPath.Outcome.False, CelFastPath.TryCompile("message.amount < 0 && message.missing == 1")!(message));
        Assert.Equal(CelFastPath.Outcome.True, CelFastPath.TryCompile("message.missing == 1 || message.amount > 0")!(message));
        Assert.Equal(CelFastPath.Outcome.Unknown, CelFastPath.TryCompile("message.amount > 0 && message.missing == 1")!(message));
    }

    private static Cel.CelProgramDelegate? TryCompile(Cel.CelEnvironment environment, string expression)
    {
        try
        {
            return environment.Compile(expression);
        }
        catch (Exception)
        {
            return null;
        }
    }
}

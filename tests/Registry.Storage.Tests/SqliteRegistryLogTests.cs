using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Storage.Embedded;

namespace Registry.Storage.Tests;

public sealed class SqliteRegistryLogTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "registry-log-" + Guid.NewGuid().ToString("N"));

    private static SchemaRegistered Event(int id) =>
        new("s", id, id, "AVRO", $"\"fixed{id}\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);

    [Fact]
    public async Task Appends_are_read_back_in_order_after_reopening()
    {
        await using (var log = new SqliteRegistryLog(_dir))
        {
            await log.InitializeAsync(default);
            Assert.Equal(2, await log.AppendAsync(0, [Event(1), Event(2)], default));
            Assert.Equal(3, await log.AppendAsync(2, [Event(3)], default));
        }
        await using var reopened = new SqliteRegistryLog(_dir);
        await reopened.InitializeAsync(default);
        var entries = new List<LogEntry>();
        await foreach (var e in reopened.ReadAsync(0, default)) entries.Add(e);
        Assert.Equal([1L, 2L, 3L], entries.Select(e => e.Position));
        Assert.Equal([1, 2, 3], entries.Select(e => ((SchemaRegistered)e.Event).Id));
    }

    [Fact]
    public async Task An_append_at_a_stale_position_conflicts_and_writes_nothing()
    {
        await using var log = new SqliteRegistryLog(_dir);
        await log.InitializeAsync(default);
        await log.AppendAsync(0, [Event(1)], default);
        var conflict = await Assert.ThrowsAsync<LogConflictException>(() => log.AppendAsync(0, [Event(2)], default));
        Assert.Equal(1, conflict.Actual);
        var count = 0;
        await foreach (var _ in log.ReadAsync(0, default)) count++;
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task The_engine_replays_the_log_into_the_same_state()
    {
        await using (var log = new SqliteRegistryLog(_dir))
        {
            await log.InitializeAsync(default);
            await log.AppendAsync(0, [Event(1), Event(1) with { Deleted = true }, Event(2)], default);
        }
        await using var engine = new RegistryEngine(new SqliteRegistryLog(_dir), TimeSpan.FromSeconds(5));
        await engine.StartAsync(default);
        Assert.True(engine.IsReady);
        Assert.Equal(3, engine.State.Position);
        Assert.True(engine.State.Subjects["s"].Versions[1].Deleted);
        Assert.Equal(2, engine.State.MaxIdIn("."));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}

using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Storage.Postgres;

namespace Registry.Storage.Tests;

[Collection(PostgresCollection.Name)]
[Trait("Category", "Postgres")]
public sealed class MartenRegistryLogTests(PostgresFixture postgres)
{
    private static SchemaRegistered Event(int id) =>
        new("s", id, id, "AVRO", $"\"fixed{id}\"", ImmutableArray<SchemaReference>.Empty, null, null, 0);

    private MartenRegistryLog NewLog(string schema) => new(postgres.Server.ConnectionString(), schema);

    [Fact]
    public async Task Appends_are_read_back_in_order_by_another_node()
    {
        await using var a = NewLog("read_back");
        await a.InitializeAsync(default);
        Assert.Equal(2, await a.AppendAsync(0, [Event(1), Event(2)], default));
        Assert.Equal(3, await a.AppendAsync(2, [Event(3)], default));

        await using var b = NewLog("read_back");
        await b.InitializeAsync(default);
        var entries = new List<LogEntry>();
        await foreach (var e in b.ReadAsync(1, default)) entries.Add(e);
        Assert.Equal([2L, 3L], entries.Select(e => e.Position));
        Assert.Equal([2, 3], entries.Select(e => ((SchemaRegistered)e.Event).Id));
    }

    [Fact]
    public async Task Two_nodes_appending_at_the_same_position_cannot_both_win()
    {
        await using var a = NewLog("conflict");
        await using var b = NewLog("conflict");
        await a.InitializeAsync(default);
        await b.InitializeAsync(default);
        await a.AppendAsync(0, [Event(1)], default);
        await Assert.ThrowsAsync<LogConflictException>(() => b.AppendAsync(0, [Event(2)], default));
        await b.AppendAsync(1, [Event(2)], default);
        await Assert.ThrowsAsync<LogConflictException>(() => a.AppendAsync(1, [Event(3)], default));
        var count = 0;
        await foreach (var _ in a.ReadAsync(0, default)) count++;
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task A_notification_wakes_a_waiting_node()
    {
        await using var a = NewLog("notify");
        await using var b = NewLog("notify");
        await a.InitializeAsync(default);
        await b.InitializeAsync(default);
        await b.WaitForAppendAsync(TimeSpan.FromMilliseconds(10), default);
        var waiting = b.WaitForAppendAsync(TimeSpan.FromSeconds(30), default);
        await Task.Delay(200);
        var started = DateTime.UtcNow;
        await a.AppendAsync(0, [Event(1)], default);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }
}

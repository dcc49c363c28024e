using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;
using Registry.Storage.Embedded;

namespace Registry.Storage.Tests;

/// <summary>Group commit: writes that wait for an append are decided in order and appended together.</summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "registry-batch-" + Guid.NewGuid().ToString("N"));
    private readonly RegistryDecider _decider = new(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), TimeProvider.System);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private Func<RegistryState, Decision<RegisteredSchema>> Register(string subject, string schema) =>
        state => _decider.Register(state, new RegisterCommand(subject, new SchemaInput(schema, null, null, null, null), null, null, false, false));

    [Fact]
    public async Task Writes_queued_behind_an_append_go_in_one_append_and_each_sees_the_ones_before_it()
    {
        var log = new HeldLog(new SqliteRegistryLog(_dir));
        await using var engine = new RegistryEngine(log, TimeSpan.FromSeconds(30));
        await engine.StartAsync(default);

        // The first write's append is held until 20 more writes are queued behind it.
        var first = engine.ExecuteAsync(Register("first", "\"int\""), default);
        await log.Holding.Task;
        var same = Enumerable.Range(0, 10).Select(_ => engine.ExecuteAsync(Register("shared", "\"string\""), default)).ToList();
        var distinct = Enumerable.Range(0, 10).Select(i => engine.ExecuteAsync(Register("s" + i, $$"""{"type":"fixed","name":"F{{i}}","size":{{i + 1}}}"""), default)).ToList();
        var refused = engine.ExecuteAsync(Register("bad", "{\"type\":"), default);
        await WaitUntilAsync(() => engine.Queued == 21);
        log.Release.SetResult();

        Assert.Equal(1, (await first).Schema.Id);
        // The first of the ten identical registrations creates version 1; the nine after it see it and change nothing.
        var shared = await Task.WhenAll(same);
        Assert.All(shared, r => Assert.Equal((2, 1), (r.Schema.Id, r.Version)));
        // Ids in arrival order, each decided against the state the ones before it left.
        Assert.Equal(Enumerable.Range(3, 10), (await Task.WhenAll(distinct)).Select(r => r.Schema.Id));
        Assert.Equal(Core.Errors.InvalidSchema, (await Assert.ThrowsAsync<Core.RegistryException>(() => refused)).ErrorCode);
        Assert.Equal([1, 11], log.Appends);
        Assert.Equal(12, engine.State.Position);

        // What was acknowledged is what a fresh replay finds.
        await using var replay = new RegistryEngine(new SqliteRegistryLog(_dir), TimeSpan.FromSeconds(30));
        await engine.DisposeAsync();
        await replay.StartAsync(default);
        Assert.Equal(12, replay.State.Position);
        Assert.Equal(12, replay.State.Subjects.Count);
        Assert.Equal(12, replay.State.MaxIdIn("."));
    }

    [Fact]
    public async Task A_failed_append_fails_every_write_of_its_batch_and_stores_none()
    {
        var log = new HeldLog(new SqliteRegistryLog(_dir)) { FailSecond = true };
        await using var engine = new RegistryEngine(log, TimeSpan.FromSeconds(30));
        await engine.StartAsync(default);
        var first = engine.ExecuteAsync(Register("first", "\"int\""), default);
        await log.Holding.Task;
        var batch = Enumerable.Range(0, 5).Select(i => engine.ExecuteAsync(Register("s" + i, $$"""{"type":"fixed","name":"F{{i}}","size":{{i + 1}}}"""), default)).ToList();
        await WaitUntilAsync(() => engine.Queued == 5);
        log.Release.SetResult();
        await first;
        foreach (var write in batch)
            Assert.Equal(Core.Errors.StoreError, (await Assert.ThrowsAsync<Core.RegistryException>(() => write)).ErrorCode);
        Assert.Equal(1, engine.State.Position);
        // The next write goes through, and takes the id the failed batch did not keep.
        Assert.Equal(2, (await engine.ExecuteAsync(Register("after", "\"long\""), default)).Schema.Id);
    }

    [Fact]
    public async Task Each_write_is_decided_once_in_its_batch_and_warmed_once_before_it_queues()
    {
        var log = new HeldLog(new SqliteRegistryLog(_dir));
        await using var engine = new RegistryEngine(log, TimeSpan.FromSeconds(30));
        await engine.StartAsync(default);
        var decided = new int[6];
        var warmed = new int[6];
        Task<RegisteredSchema> Write(int i)
        {
            var command = new RegisterCommand("s" + i, new SchemaInput($$"""{"type":"fixed","name":"F{{i}}","size":{{i + 1}}}""", null, null, null, null), null, null, false, false);
            return engine.ExecuteAsync(state =>
            {
                Interlocked.Increment(ref decided[i]);
                return _decider.Register(state, command);
            }, default, state =>
            {
                Interlocked.Increment(ref warmed[i]);
                _decider.Warm(state, command);
            });
        }

        var first = Write(0);
        await log.Holding.Task;
        var queued = Enumerable.Range(1, 5).Select(Write).ToList();
        await WaitUntilAsync(() => engine.Queued == 5);
        // Warmed before queueing (the first append is still held), not decided yet.
        Assert.Equal([1, 1, 1, 1, 1, 1], warmed);
        Assert.Equal([1, 0, 0, 0, 0, 0], decided);
        log.Release.SetResult();
        await first;
        Assert.Equal([2, 3, 4, 5, 6], (await Task.WhenAll(queued)).Select(r => r.Schema.Id));
        Assert.Equal([1, 1, 1, 1, 1, 1], decided);
        Assert.Equal([1, 1, 1, 1, 1, 1], warmed);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    /// <summary>The real SQLite log, whose first append waits for the test; it records how many events each append carried.</summary>
    private sealed class HeldLog(SqliteRegistryLog inner) : IRegistryLog
    {
        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> Appends { get; } = [];

        public bool FailSecond { get; init; }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public async Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
        {
            Appends.Add(events.Count);
            if (Appends.Count == 1)
            {
                Holding.SetResult();
                await Release.Task;
            }
            else if (FailSecond && Appends.Count == 2)
            {
                throw Core.Errors.StoreErrorOf("the disk is full");
            }
            return await inner.AppendAsync(expectedPosition, events, cancellationToken);
        }

        public Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken) => inner.WaitForAppendAsync(maxWait, cancellationToken);

        public IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, CancellationToken cancellationToken) => inner.ReadAsync(afterPosition, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

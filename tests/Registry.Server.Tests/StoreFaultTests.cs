using Microsoft.Data.Sqlite;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>A store that cannot take writes: writes fail fast with 5xx, reads go on, and writes recover.</summary>
public sealed class StoreFaultTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:WriteTimeoutMs=1000"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_locked_store_fails_writes_with_a_store_error_and_keeps_serving_reads()
    {
        var first = await _server.PostAsync("/subjects/fault-s/versions", Body(Schemas.V1));
        Assert.Equal(200, first.Status);

        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "registry.db")};Pooling=False"))
        {
            await blocker.OpenAsync();
            await using (var lockCommand = blocker.CreateCommand())
            {
                lockCommand.CommandText = "BEGIN EXCLUSIVE;";
                await lockCommand.ExecuteNonQueryAsync();
            }

            var started = DateTime.UtcNow;
            var failed = await _server.PostAsync("/subjects/fault-s/versions", Body(Schemas.V2));
            Assert.True(failed.Status == 500 && failed.ErrorCode is 50001 or 50002, failed.ToString());
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the write did not fail fast");

            var read = await _server.GetAsync("/subjects/fault-s/versions/latest");
            Assert.Equal(1, read.Json.GetProperty("version").GetInt32());
            await using var rollback = blocker.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        var retried = await _server.PostAsync("/subjects/fault-s/versions", Body(Schemas.V2));
        Assert.Equal(200, retried.Status);
        Assert.Equal(2, retried.Json.GetProperty("version").GetInt32());
        Assert.Equal("[1,2]", (await _server.GetAsync("/subjects/fault-s/versions")).Body);
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Registry.Core;
using Registry.Core.Events;

namespace Registry.Storage.Embedded;

/// <summary>
/// The embedded store: the registry log as rows of a SQLite table in WAL mode with synchronous=FULL,
/// so an append returns only once it is on disk. One process owns the file.
/// </summary>
public sealed class SqliteRegistryLog : IRegistryLog
{
    private readonly string _directory;
    private readonly int _busyTimeoutMs;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;

    /// <summary>A log at <c>{directory}/registry.db</c>, opened by <see cref="InitializeAsync"/>.</summary>
    /// <param name="directory">The data directory.</param>
    /// <param name="busyTimeoutMs">How long an append waits for a lock held by another process before failing.</param>
    public SqliteRegistryLog(string directory, int busyTimeoutMs = 5000)
    {
        _directory = directory;
        _busyTimeoutMs = busyTimeoutMs;
    }

    private SqliteConnection Connection => _connection ?? throw new InvalidOperationException("The embedded store is not open.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, "registry.db");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = Math.Max(1, (_busyTimeoutMs + 999) / 1000) }.ToString());
        try
        {
            Directory.CreateDirectory(_directory);
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=FULL;
                PRAGMA busy_timeout={_busyTimeoutMs};
                CREATE TABLE IF NOT EXISTS registry_log (
                    position INTEGER PRIMARY KEY,
                    event TEXT NOT NULL
                );
                """, cancellationToken);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            await connection.DisposeAsync();
            throw Errors.StoreErrorOf($"Cannot open the embedded store at {path}: {e.Message}");
        }
        _connection = connection;
    }

    public async Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = (SqliteTransaction)await Connection.BeginTransactionAsync(cancellationToken);
            var end = await EndAsync(tx, cancellationToken);
            if (end != expectedPosition) throw new LogConflictException(expectedPosition, end);
            await using var insert = Connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO registry_log (position, event) VALUES ($position, $event)";
            var position = insert.Parameters.Add("$position", SqliteType.Integer);
            var payload = insert.Parameters.Add("$event", SqliteType.Text);
            foreach (var e in events)
            {
                position.Value = ++end;
                payload.Value = EventSerializer.Serialize(e);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
            return end;
        }
        catch (SqliteException e)
        {
            throw Errors.StoreErrorOf($"Error while writing to the embedded store: {e.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int batch = 10_000;
        while (true)
        {
            var entries = new List<LogEntry>(batch);
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await using var read = Connection.CreateCommand();
                read.CommandText = "SELECT position, event FROM registry_log WHERE position > $after ORDER BY position LIMIT $limit";
                read.Parameters.AddWithValue("$after", afterPosition);
                read.Parameters.AddWithValue("$limit", batch);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    entries.Add(new LogEntry(reader.GetInt64(0), EventSerializer.Deserialize(reader.GetString(1))));
            }
            catch (SqliteException e)
            {
                throw Errors.StoreErrorOf($"Error while reading the embedded store: {e.Message}");
            }
            finally
            {
                _gate.Release();
            }
            foreach (var entry in entries) yield return entry;
            if (entries.Count < batch) yield break;
            afterPosition = entries[^1].Position;
        }
    }

    /// <summary>One process owns the file, so nobody else appends: just wait.</summary>
    public Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken) => Task.Delay(maxWait, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<long> EndAsync(SqliteTransaction tx, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT COALESCE(MAX(position), 0) FROM registry_log";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

using System.Runtime.CompilerServices;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Npgsql;
using Registry.Core;
using Registry.Core.Events;

namespace Registry.Storage.Postgres;

/// <summary>
/// The registry log as one Marten event stream on Postgres. An append names the stream version it
/// expects, so two nodes deciding at once cannot both win; the loser gets <see cref="LogConflictException"/>.
/// A trigger on Marten's events table sends NOTIFY so other nodes read new events at once.
/// </summary>
public sealed class MartenRegistryLog : IRegistryLog
{
    public const string StreamKey = "registry";
    private const string Channel = "registry_log";
    private readonly string _connectionString;
    private readonly string _schema;
    private DocumentStore? _store;
    private NpgsqlConnection? _listener;
    private readonly SemaphoreSlim _notified = new(0, 1);

    public MartenRegistryLog(string connectionString, string schema = "registry")
    {
        _connectionString = connectionString;
        _schema = schema;
    }

    private DocumentStore Store => _store ?? throw new InvalidOperationException("The Postgres store is not open.");

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var store = DocumentStore.For(options =>
        {
            options.Connection(_connectionString);
            options.DatabaseSchemaName = _schema;
            options.Events.DatabaseSchemaName = _schema;
            options.Events.StreamIdentity = StreamIdentity.AsString;
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
            options.UseSystemTextJsonForSerialization();
            options.Events.AddEventType<RegistryLogRecord>();
        });
        try
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            // Nodes starting at once on an empty database: one creates the schema objects, the others wait.
            await Execute(connection, "SELECT pg_advisory_lock(74201)", cancellationToken);
            try
            {
                await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
                await Execute(connection, $"""
                    CREATE OR REPLACE FUNCTION {_schema}.registry_notify() RETURNS trigger AS $$
                    BEGIN PERFORM pg_notify('{Channel}', ''); RETURN NULL; END $$ LANGUAGE plpgsql;
                    DROP TRIGGER IF EXISTS registry_notify ON {_schema}.mt_events;
                    CREATE TRIGGER registry_notify AFTER INSERT ON {_schema}.mt_events FOR EACH STATEMENT EXECUTE FUNCTION {_schema}.registry_notify();
                    """, cancellationToken);
            }
            finally
            {
                await Execute(connection, "SELECT pg_advisory_unlock(74201)", CancellationToken.None);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            store.Dispose();
            throw Errors.StoreErrorOf($"Cannot open the Postgres store: {e.Message}");
        }
        _store = store;
    }

    public async Task<long> AppendAsync(long expectedPosition, IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken)
    {
        var records = events.Select(e => (object)new RegistryLogRecord(EventSerializer.Serialize(e))).ToArray();
        try
        {
            await using var session = Store.LightweightSession();
            if (expectedPosition == 0) session.Events.StartStream(StreamKey, records);
            else session.Events.Append(StreamKey, expectedPosition + records.Length, records);
            await session.SaveChangesAsync(cancellationToken);
            return expectedPosition + records.Length;
        }
        catch (Exception e) when (IsConflict(e))
        {
            throw new LogConflictException(expectedPosition, -1);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Errors.StoreErrorOf($"Error while writing to the Postgres store: {e.Message}");
        }
    }

    public async IAsyncEnumerable<LogEntry> ReadAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IReadOnlyList<IEvent> events;
        try
        {
            await using var session = Store.QuerySession();
            events = await session.Events.FetchStreamAsync(StreamKey, 0, null, afterPosition + 1, cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            throw Errors.StoreErrorOf($"Error while reading the Postgres store: {e.Message}");
        }
        foreach (var e in events)
            yield return new LogEntry(e.Version, EventSerializer.Deserialize(((RegistryLogRecord)e.Data).Event));
    }

    public async Task WaitForAppendAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        try
        {
            if (_listener is null)
            {
                var listener = new NpgsqlConnection(_connectionString);
                listener.Notification += (_, _) =>
                {
                    if (_notified.CurrentCount == 0) try { _notified.Release(); } catch (SemaphoreFullException) { }
                };
                await listener.OpenAsync(cancellationToken);
                await Execute(listener, $"LISTEN {Channel}", cancellationToken);
                _listener = listener;
            }
            // WaitAsync on the connection delivers notifications; the semaphore is how we learn of one.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(maxWait);
            try
            {
                await _listener.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await _notified.WaitAsync(TimeSpan.Zero, cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e) && !cancellationToken.IsCancellationRequested)
        {
            // The listening connection is gone (Postgres restarted); the poll carries on and we listen again later.
            if (_listener is not null) await _listener.DisposeAsync();
            _listener = null;
            await Task.Delay(maxWait, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null) await _listener.DisposeAsync();
        _store?.Dispose();
        _notified.Dispose();
    }

    private static bool IsConflict(Exception e) =>
        e is ConcurrencyException or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException
        || (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private static bool IsStoreFailure(Exception e) =>
        e is NpgsqlException or MartenException or TimeoutException or IOException or System.Net.Sockets.SocketException
        || (e is InvalidOperationException && e.InnerException is NpgsqlException);

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The one Marten event type: a registry event in the store-neutral JSON of <see cref="EventSerializer"/>.</summary>
public sealed record RegistryLogRecord(string Event);

using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Registry.Server.Security;

/// <summary>One audited request: who did what to which subject, with what outcome, from where.</summary>
public sealed record AuditEntry(long Sequence, string Time, string Principal, string Action, string? Subject, int? Version, int? Id, int Status, string? Client,
    string? Method = null, string? Issuer = null, bool Authenticated = true)
{
    public JsonObject ToJson() => new()
    {
        ["sequence"] = Sequence,
        ["time"] = Time,
        ["principal"] = Principal,
        ["method"] = Method,
        ["issuer"] = Issuer,
        ["authenticated"] = Authenticated,
        ["action"] = Action,
        ["subject"] = Subject,
        ["version"] = Version,
        ["id"] = Id,
        ["status"] = Status,
        ["client"] = Client,
    };
}

/// <summary>
/// The audit trail in its own durable SQLite file (<c>{DataDirectory}/audit.db</c>, synchronous=FULL): every
/// change and every denied request. It is kept on the node that answered.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    public AuditLog(string directory, TimeProvider time)
    {
        Directory.CreateDirectory(directory);
        _time = time;
        _connection = new SqliteConnection($"Data Source={Path.Combine(directory, "audit.db")};Pooling=False");
        _connection.Open();
        using var command = _connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
              subject TEXT, version INTEGER, id INTEGER, status INTEGER NOT NULL, client TEXT);
            """;
        command.ExecuteNonQuery();
        // Files written before the authentication method was recorded get its columns.
        command.CommandText = "SELECT name FROM pragma_table_info('audit')";
        var columns = new HashSet<string>(StringComparer.Ordinal);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) columns.Add(reader.GetString(0));
        }
        foreach (var (column, type) in new[] { ("method", "TEXT"), ("issuer", "TEXT"), ("authenticated", "INTEGER NOT NULL DEFAULT 1") })
        {
            if (columns.Contains(column)) continue;
            command.CommandText = $"ALTER TABLE audit ADD COLUMN {column} {type}";
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Records one entry and returns once it is durable. Entries that arrive while another commit is under way are
    /// written together in the next one (group commit): one transaction and one fsync for all of them.
    /// </summary>
    public async Task RecordAsync(Authentication who, string action, string? subject, int? version, int? id, int status, string? client)
    {
        var entry = new Pending(_time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture), who, action, subject, version, id, status, client);
        _pending.Enqueue(entry);
        await _gate.WaitAsync();
        try
        {
            // The holder of the gate writes everything queued; this entry may already be in the commit before.
            if (!entry.Done.Task.IsCompleted) await CommitQueuedAsync();
        }
        finally
        {
            _gate.Release();
        }
        await entry.Done.Task;
    }

    private sealed record Pending(string Time, Authentication Who, string Action, string? Subject, int? Version, int? Id, int Status, string? Client)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<Pending> _pending = new();

    private async Task CommitQueuedAsync()
    {
        var batch = new List<Pending>();
        while (_pending.TryDequeue(out var next)) batch.Add(next);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await using var tx = (SqliteTransaction)await _connection.BeginTransactionAsync();
            await using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT INTO audit (time, principal, action, subject, version, id, status, client, method, issuer, authenticated) VALUES ($t, $p, $a, $s, $v, $i, $st, $c, $m, $is, $au)";
            foreach (var e in batch)
            {
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$t", e.Time);
                command.Parameters.AddWithValue("$p", e.Who.Principal);
                command.Parameters.AddWithValue("$m", e.Who.Method);
                command.Parameters.AddWithValue("$is", (object?)e.Who.Issuer ?? DBNull.Value);
                command.Parameters.AddWithValue("$au", e.Who.Verified ? 1 : 0);
                command.Parameters.AddWithValue("$a", e.Action);
                command.Parameters.AddWithValue("$s", (object?)e.Subject ?? DBNull.Value);
                command.Parameters.AddWithValue("$v", (object?)e.Version ?? DBNull.Value);
                command.Parameters.AddWithValue("$i", (object?)e.Id ?? DBNull.Value);
                command.Parameters.AddWithValue("$st", e.Status);
                command.Parameters.AddWithValue("$c", (object?)e.Client ?? DBNull.Value);
                await command.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
            foreach (var e in batch) e.Done.TrySetResult();
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Done.TrySetException(e);
        }
    }

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(string? subject, string? principal, long after, int limit)
    {
        await _gate.WaitAsync();
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT seq, time, principal, action, subject, version, id, status, client, method, issuer, authenticated FROM audit
                WHERE seq > $after AND ($s IS NULL OR subject = $s) AND ($p IS NULL OR principal = $p) ORDER BY seq LIMIT $limit
                """;
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$s", (object?)subject ?? DBNull.Value);
            command.Parameters.AddWithValue("$p", (object?)principal ?? DBNull.Value);
            command.Parameters.AddWithValue("$limit", limit);
            var entries = new List<AuditEntry>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                entries.Add(new AuditEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt32(11) != 0));
            return entries;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        // A commit under way (a change answered just before shutdown) finishes before its connection closes; entries
        // that come later fail instead of writing to a closed connection.
        var entered = _gate.Wait(TimeSpan.FromSeconds(10));
        _disposed = true;
        _connection.Dispose();
        if (entered) _gate.Release();
    }
}

/// <summary>Records changes (POST/PUT/DELETE that are not reads) and denied requests after they are answered.</summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditLog audit)
{
    public const string VersionKey = "audit.version";
    public const string IdKey = "audit.id";

    /// <summary>The subject acted on, for endpoints that learn it from the body or a stored object.</summary>
    public const string SubjectKey = "audit.subject";

    /// <summary>What the action did beyond its method and path (a proposal applied, a review policy overridden).</summary>
    public const string NoteKey = "audit.note";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (path.StartsWith("/health", StringComparison.Ordinal) || path.StartsWith("/metrics", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        // The first segment and the number of segments, read without splitting the path (this runs on every read).
        var trimmed = path.AsSpan().Trim('/');
        var first = trimmed.IndexOf('/') is var slash and >= 0 ? trimmed[..slash] : trimmed;
        var segmentCount = trimmed.Count('/') + 1;
        var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || (first is "subjects" && segmentCount == 2 && HttpMethods.IsPost(request.Method))
            || first is "compatibility" || path.EndsWith("/propose", StringComparison.Ordinal);
        // Every DEK registry request is recorded, reads too: who read which key (never the key material).
        if (first is "dek-registry") isRead = false;
        if (isRead)
        {
            await next(context);
            // A denied read is recorded once answered.
            if (context.Response.StatusCode is 401 or 403) await RecordAsync(context, path);
            return;
        }
        // A change is answered only once its entry is durable: the answer (written with its length, so a client would
        // otherwise have it at once) is held until then.
        var answer = context.Response.Body;
        using var held = new MemoryStream();
        context.Response.Body = held;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = answer;
        }
        await RecordAsync(context, path);
        held.Position = 0;
        await held.CopyToAsync(answer, context.RequestAborted);
    }

    private Task RecordAsync(HttpContext context, string path)
    {
        var segments = path.Trim('/').Split('/');
        var request = context.Request;
        var status = context.Response.StatusCode;
        var subject = context.Items[SubjectKey] as string ?? AccessControl.SubjectOf(segments);
        var version = context.Items[VersionKey] as int? ?? (segments.Length > 3 && segments[2] == "versions" && int.TryParse(segments[3], out var v) ? v : null);
        // The attempted principal of a failed sign-in is recorded as such (not as "anonymous"), marked unauthenticated.
        var who = context.Items[typeof(Authentication)] as Authentication ?? new Authentication("anonymous", "none", null, Verified: false);
        var note = context.Items[NoteKey] is string n ? $" ({n})" : "";
        return audit.RecordAsync(who, $"{request.Method} {path}{note}", subject, version,
            context.Items[IdKey] as int?, status, context.Connection.RemoteIpAddress?.ToString());
    }
}

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

    public async Task RecordAsync(Authentication who, string action, string? subject, int? version, int? id, int status, string? client)
    {
        await _gate.WaitAsync();
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO audit (time, principal, action, subject, version, id, status, client, method, issuer, authenticated) VALUES ($t, $p, $a, $s, $v, $i, $st, $c, $m, $is, $au)";
            command.Parameters.AddWithValue("$t", _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$p", who.Principal);
            command.Parameters.AddWithValue("$m", who.Method);
            command.Parameters.AddWithValue("$is", (object?)who.Issuer ?? DBNull.Value);
            command.Parameters.AddWithValue("$au", who.Verified ? 1 : 0);
            command.Parameters.AddWithValue("$a", action);
            command.Parameters.AddWithValue("$s", (object?)subject ?? DBNull.Value);
            command.Parameters.AddWithValue("$v", (object?)version ?? DBNull.Value);
            command.Parameters.AddWithValue("$i", (object?)id ?? DBNull.Value);
            command.Parameters.AddWithValue("$st", status);
            command.Parameters.AddWithValue("$c", (object?)client ?? DBNull.Value);
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            _gate.Release();
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
        _connection.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Records changes (POST/PUT/DELETE that are not reads) and denied requests after they are answered.</summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditLog audit)
{
    public const string VersionKey = "audit.version";
    public const string IdKey = "audit.id";

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var status = context.Response.StatusCode;
        var segments = path.Trim('/').Split('/');
        var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || (segments[0] == "subjects" && segments.Length == 2 && HttpMethods.IsPost(request.Method))
            || segments[0] == "compatibility" || path.EndsWith("/propose", StringComparison.Ordinal);
        // Every DEK registry request is recorded, reads too: who read which key (never the key material).
        if (segments[0] == "dek-registry") isRead = false;
        var denied = status is 401 or 403;
        if ((isRead && !denied) || path.StartsWith("/health", StringComparison.Ordinal) || path.StartsWith("/metrics", StringComparison.Ordinal)) return;
        var subject = AccessControl.SubjectOf(segments);
        var version = context.Items[VersionKey] as int? ?? (segments.Length > 3 && segments[2] == "versions" && int.TryParse(segments[3], out var v) ? v : null);
        // The attempted principal of a failed sign-in is recorded as such (not as "anonymous"), marked unauthenticated.
        var who = context.Items[typeof(Authentication)] as Authentication ?? new Authentication("anonymous", "none", null, Verified: false);
        await audit.RecordAsync(who, $"{request.Method} {path}", subject, version,
            context.Items[IdKey] as int?, status, context.Connection.RemoteIpAddress?.ToString());
    }
}

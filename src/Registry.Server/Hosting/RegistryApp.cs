using Microsoft.Extensions.Options;
using Prometheus;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.Security;
using Registry.Formats;
using Registry.Server.Apis;
using Registry.Server.Http;
using Registry.Storage;
using Registry.Storage.Embedded;
using Registry.Storage.Kafka;
using Registry.Storage.Postgres;

namespace Registry.Server.Hosting;

/// <summary>Builds the registry web application; Program, tests and benchmarks all host it this way.</summary>
public static class RegistryApp
{
    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data-dir"] = "Registry:DataDirectory",
        ["--store"] = "Registry:Store",
        ["--postgres"] = "Registry:Postgres:ConnectionString",
        ["--kafka"] = "Registry:Kafka:BootstrapServers",
        ["--default-compatibility"] = "Registry:DefaultCompatibility",
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var tls = Security.TlsSettings.From(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(tls is null ? "http://0.0.0.0:8081" : "https://0.0.0.0:8081");
        if (tls is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = context.Configuration.GetValue<long?>("Registry:MaxRequestBodyBytes") ?? 4L << 20;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(context.Configuration.GetValue<double?>("Registry:RequestHeadersTimeoutSeconds") ?? 30);
            kestrel.Limits.MaxRequestHeadersTotalSize = context.Configuration.GetValue<int?>("Registry:MaxRequestHeadersBytes") ?? 32 * 1024;
            kestrel.Limits.MaxConcurrentConnections = context.Configuration.GetValue<long?>("Registry:MaxConnections");
            if (tls is not null) kestrel.ConfigureHttpsDefaults(tls.Apply);
        });
        Tracing.Add(builder);
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // ASP.NET Core starts an Activity for every request as long as its hosting category may log at all (for the trace
        // ids of log scopes); that category only writes request start/finish lines, at Information. Off unless configured,
        // so a read pays for no Activity (docs/performance.md).
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] is null)
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (builder.Configuration.GetValue<bool>("Registry:JsonLogs"))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole();
        }
        AddRegistry(builder.Services);
        var rate = builder.Configuration.GetValue<int>("Registry:RateLimitPerSecond");
        var contextRate = builder.Configuration.GetValue<int>("Registry:RateLimitPerContextPerSecond");
        var limited = rate > 0 || contextRate > 0;
        if (limited)
            builder.Services.AddRateLimiter(o => RateLimits.Configure(o, rate, builder.Configuration.GetValue<int?>("Registry:RateLimitBurst") ?? 100,
                contextRate, builder.Configuration.GetValue<int?>("Registry:RateLimitPerContextBurst") ?? 100));
        var app = builder.Build();
        // Context-scoped URLs become the qualified ones before routing, so every later step sees one form.
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseMiddleware<ContextPathMiddleware>();
        app.UseMiddleware<SubjectAliasMiddleware>();
        app.UseRouting();
        // Audit outermost, so it sees the final status of every request, errors included.
        app.UseMiddleware<Security.AuditMiddleware>();
        // HTTP metrics outside error handling, so a failed request is counted with the status it was answered with.
        app.UseMiddleware<HttpMetricsMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        var authModes = (builder.Configuration["Registry:AuthMode"] ?? "none").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (authModes.Except(["none", "basic", "jwt", "mtls", "ldap"]).FirstOrDefault() is { } unknownMode)
            throw new InvalidOperationException($"Registry:AuthMode '{unknownMode}' is not one of none, basic, jwt, mtls, ldap (comma-separated)");
        if (authModes.Overlaps(["basic", "jwt", "mtls", "ldap"]))
        {
            var config = builder.Configuration;
            var users = config["Registry:UsersFile"] is { Length: > 0 } usersFile
                ? UsersFile.Load(usersFile)
                : authModes.IsSubsetOf(["jwt", "ldap"]) ? new Dictionary<string, UserEntry>() : throw new InvalidOperationException("Registry:UsersFile is required for basic and mtls authentication");
            var ldap = authModes.Contains("ldap") ? new Security.LdapDirectory(LdapSettingsFrom(config)) : null;
            Security.JwtValidator? jwt = authModes.Contains("jwt")
                ? new Security.JwtValidator(new Security.JwtSettings(
                    config["Registry:Jwt:Issuer"] ?? throw new InvalidOperationException("Registry:Jwt:Issuer is required for jwt authentication"),
                    config["Registry:Jwt:Audience"] ?? throw new InvalidOperationException("Registry:Jwt:Audience is required for jwt authentication"),
                    config["Registry:Jwt:JwksFile"],
                    config["Registry:Jwt:RoleClaim"] ?? "roles",
                    TimeSpan.FromSeconds(config.GetValue<int?>("Registry:Jwt:ClockSkewSeconds") ?? 60),
                    config["Registry:Jwt:MetadataAddress"],
                    config.GetValue<bool?>("Registry:Jwt:RequireHttpsMetadata") ?? true))
                : null;
            if (authModes.Contains("mtls") && tls?.ClientCaFile is null)
                throw new InvalidOperationException("Registry:Tls:CertificateFile and Registry:Tls:ClientCaFile are required for mtls authentication");
            var failedSignIns = config.GetValue<int?>("Registry:FailedSignInsPerMinute") ?? 30;
            var verifiedFor = config.GetValue<double?>("Registry:BasicAuthCacheSeconds") ?? 300;
            var verified = verifiedFor > 0
                ? new Security.VerifiedCredentials(app.Services.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(verifiedFor),
                    config.GetValue<int?>("Registry:BasicAuthCacheEntries") ?? 10_000)
                : null;
            app.UseMiddleware<Security.AccessControl>(new Security.AccessControl.Settings(users, jwt, authModes.Contains("mtls"),
                failedSignIns > 0 ? RateLimits.FailedSignIns(failedSignIns) : null, ldap, verified));
        }
        else
        {
            app.Logger.LogWarning("AUTHENTICATION IS OFF: anyone who can reach this registry can read and change every subject. Set Registry:AuthMode=basic and Registry:UsersFile for production.");
        }
        // After authentication: a limit per principal (per address only for anonymous requests).
        if (limited) app.UseRateLimiter();
        app.UseMiddleware<ContentNegotiationMiddleware>();
        // Innermost: a write that reaches a node which is not the store's writer is sent on to the writer.
        app.UseMiddleware<WriterForwardingMiddleware>();
        app.MapRegistryApis();
        app.MapMetrics();
        // Listen to System.Diagnostics.Metrics from the start, not from the first scrape, so nothing before it is lost.
        MeterListening.Start();
        var engine = app.Services.GetRequiredService<RegistryEngine>();
        engine.ExposeMetrics();
        ServerMetrics.Ready = () => engine.IsReady;
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<WriterForwarding>().Listening(app.Urls));
        return app;
    }

    /// <summary>Registry:Ldap:* (see <see cref="Security.LdapSettings"/>); the URL, bases and the service account are required.</summary>
    private static Security.LdapSettings LdapSettingsFrom(IConfiguration config)
    {
        string Required(string key) => config[$"Registry:Ldap:{key}"] is { Length: > 0 } value ? value : throw new InvalidOperationException($"Registry:Ldap:{key} is required for ldap authentication");
        var groups = config.GetSection("Registry:Ldap:Groups").GetChildren().ToDictionary(g => g.Key, g => g.Value ?? "", StringComparer.OrdinalIgnoreCase);
        var defaults = new Security.LdapSettings("", "", "", "", "", groups);
        return defaults with
        {
            Url = Required("Url"),
            BindDn = Required("BindDn"),
            BindPassword = config["Registry:Ldap:BindPassword"] ?? "",
            UserBase = Required("UserBase"),
            GroupBase = Required("GroupBase"),
            UserFilter = config["Registry:Ldap:UserFilter"] ?? defaults.UserFilter,
            GroupFilter = config["Registry:Ldap:GroupFilter"] ?? defaults.GroupFilter,
            StartTls = config.GetValue<bool?>("Registry:Ldap:StartTls") ?? false,
            AllowPlaintext = config.GetValue<bool?>("Registry:Ldap:AllowPlaintext") ?? false,
            TimeoutSeconds = config.GetValue<int?>("Registry:Ldap:TimeoutSeconds") ?? defaults.TimeoutSeconds,
            PoolSize = config.GetValue<int?>("Registry:Ldap:PoolSize") ?? defaults.PoolSize,
            Retries = config.GetValue<int?>("Registry:Ldap:Retries") ?? defaults.Retries,
            TrustedCertificatesDirectory = config["Registry:Ldap:TrustedCertificatesDirectory"] is { Length: > 0 } cas ? cas : null,
        };
    }

    public static IServiceCollection AddRegistry(IServiceCollection services)
    {
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.Section).ValidateDataAnnotations()
            .Validate(o => CompatibilityLevels.TryParse(o.DefaultCompatibility, out _), "Registry:DefaultCompatibility must be a compatibility level")
            .Validate(o => o.MemoryBudgetBytes == 0 || o.MemoryBudgetBytes >= RegistryOptions.MinMemoryBudgetBytes,
                $"Registry:MemoryBudgetBytes must be 0 (no budget) or at least {RegistryOptions.MinMemoryBudgetBytes} (64 MiB)")
            .Validate(o => o.Store is "embedded" or "postgres" or "kafka", "Registry:Store must be \"embedded\", \"postgres\" or \"kafka\"")
            .Validate(o => o.Store != "kafka" || !string.IsNullOrWhiteSpace(o.Kafka.BootstrapServers),
                "Registry:Kafka:BootstrapServers is required when Registry:Store is \"kafka\"")
            .Validate(o => o.Store != "postgres" || !string.IsNullOrWhiteSpace(o.Postgres.ConnectionString),
                "Registry:Postgres:ConnectionString is required when Registry:Store is \"postgres\"")
            .Validate(o => System.Text.RegularExpressions.Regex.IsMatch(o.Postgres.Schema, "^[a-z_][a-z0-9_]{0,62}$"),
                "Registry:Postgres:Schema must be a lowercase SQL identifier")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
            var formats = FormatCatalog.Create(new FormatLimits { MaxNestingDepth = o.MaxNestingDepth }, o.EffectiveParsedSchemaCacheBytes);
            ServerMetrics.ParsedCache = formats;
            CompatibilityLevels.TryParse(o.DefaultCompatibility, out var level);
            var settings = new RegistrySettings
            {
                DefaultCompatibility = level,
                MaxSchemaLength = o.MaxSchemaLength,
                MaxReferences = o.MaxReferences,
                MaxReferenceDepth = o.MaxReferenceDepth,
                MaxSubjectLength = o.MaxSubjectLength,
                MaxSubjectsPerContext = o.MaxSubjectsPerContext,
                SubjectLimits = o.SubjectLimits,
                MaxKeys = o.MaxKeys,
                MaxExporters = o.Exporters.MaxExporters,
                MaxOpenProposals = o.MaxOpenProposals,
                MaxReviewTextLength = o.MaxReviewTextLength,
                MaxReviewsPerProposal = o.MaxReviewsPerProposal,
            };
            return new RegistryDecider(formats, settings, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
            var timeout = TimeSpan.FromMilliseconds(o.WriteTimeoutMs);
            IRegistryLog log = o.Store switch
            {
                "postgres" => new MartenRegistryLog(o.Postgres.ConnectionString!, o.Postgres.Schema),
                "kafka" => new KafkaRegistryLog(new KafkaLogSettings(o.Kafka.BootstrapServers!)
                {
                    Topic = o.Kafka.Topic,
                    RegistryTopic = o.Kafka.RegistryTopic,
                    DekRegistryTopic = o.Kafka.DekRegistryTopic,
                    ReplicationFactor = o.Kafka.ReplicationFactor,
                    GroupId = o.Kafka.GroupId,
                    TransactionalId = o.Kafka.TransactionalId,
                    SessionTimeoutMs = o.Kafka.SessionTimeoutMs,
                    Timeout = timeout,
                    AdvertisedUrl = () => o.Kafka.AdvertisedUrl ?? sp.GetRequiredService<WriterForwarding>().ListeningUrl,
                    Logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Registry.Storage.Kafka"),
                }),
                _ => new SqliteRegistryLog(o.DataDirectory, o.WriteTimeoutMs),
            };
            return new RegistryEngine(log, timeout, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RegistryEngine>());
        });
        services.AddSingleton<RegistryService>();
        services.AddSingleton(sp => new Usage.UsageTracker(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Usage.MaxKeys, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
            var vault = new HttpClient { Timeout = TimeSpan.FromMilliseconds(o.WriteTimeoutMs) };
            return new Encryption.KmsDrivers([new Encryption.LocalKmsDriver(o.KmsLocalSecret), new Encryption.VaultTransitDriver(vault, o.KmsVaultToken)]);
        });
        // The UI's forms carry an anti-forgery token bound to the signed-in user (cookie + hidden field).
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "registry-antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__antiforgery";
        });
        services.AddSingleton<WriterForwarding>();
        services.AddSingleton(sp => new Security.AuditLog(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.DataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<RegistryStartup>();
        services.AddSingleton<Review.WebhookNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<Review.WebhookNotifier>());
        services.AddSingleton(sp => new Exporters.ExporterSecrets(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Exporters.SecretKey));
        services.AddSingleton<Exporters.ExporterService>();
        services.AddHostedService(sp => sp.GetRequiredService<Exporters.ExporterService>());
        return services;
    }
}

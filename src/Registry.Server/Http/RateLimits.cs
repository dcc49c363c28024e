using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Registry.Server.Http;

/// <summary>
/// Per-client token buckets: the authenticated principal (with its method, so a JWT <c>sub</c> and an equal users-file
/// name are two clients), else the client address for anonymous requests; 429 with Retry-After. The limiter runs after
/// authentication, so one user's burst never limits another user at the same address. Optionally a second bucket per
/// context (tenant) of the subject a request acts on, so one tenant's load cannot starve the others.
/// </summary>
internal static class RateLimits
{
    /// <summary>0 for <paramref name="perSecond"/> or <paramref name="contextPerSecond"/> turns that limit off.</summary>
    public static void Configure(RateLimiterOptions options, int perSecond, int burst, int contextPerSecond = 0, int contextBurst = 100)
    {
        var perClient = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (perSecond <= 0 || Unlimited(context)) return RateLimitPartition.GetNoLimiter("unlimited");
            var key = context.Items[typeof(Security.Authentication)] is Security.Authentication { Verified: true } who
                ? $"{who.Method}:{who.Principal}"
                : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return Bucket(key, perSecond, burst);
        });
        if (contextPerSecond <= 0)
        {
            options.GlobalLimiter = perClient;
        }
        else
        {
            var perContext = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var subject = Unlimited(context) ? null : Security.AccessControl.SubjectOf(context.Request.Path.Value?.Trim('/').Split('/') ?? []);
                return subject is null
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : Bucket("context:" + Core.Model.QualifiedSubject.Parse(subject).Context, contextPerSecond, contextBurst);
            });
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(perClient, perContext);
        }
        options.OnRejected = (context, cancellationToken) =>
            Reject(context.HttpContext, context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1));
    }

    private static bool Unlimited(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics");

    private static RateLimitPartition<string> Bucket(string key, int perSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    /// <summary>The 429 answer, with Retry-After in whole seconds.</summary>
    public static ValueTask Reject(HttpContext context, TimeSpan after)
    {
        var retry = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        return new ValueTask(RegistryJson.Error(StatusCodes.Status429TooManyRequests, 429, $"Too many requests; retry after {retry} s").ExecuteAsync(context));
    }

    /// <summary>
    /// Failed sign-ins per client address: <paramref name="perMinute"/> may fail in a minute (refilled evenly); after
    /// that the address is answered 429 before any password is checked, so guessing costs the guesser, not the registry.
    /// </summary>
    public static PartitionedRateLimiter<string> FailedSignIns(int perMinute) =>
        PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}

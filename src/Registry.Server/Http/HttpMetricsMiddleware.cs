using System.Collections.Concurrent;
using System.Diagnostics;
using Prometheus;

namespace Registry.Server.Http;

/// <summary>
/// The HTTP series prometheus-net's <c>UseHttpMetrics</c> exports, under the same names and labels
/// (<c>http_request_duration_seconds</c>, <c>http_requests_received_total</c>, <c>http_requests_in_progress</c>), at
/// the cost of two timestamps and one dictionary lookup per request: each (method, endpoint, status) finds its series
/// once and keeps them, where prometheus-net copies the route values and builds label arrays in three middlewares per
/// request (about a tenth of a cached read, measured: docs/performance.md). Runs after routing, so the endpoint is
/// known. Methods other than the standard ones count as OTHER, so clients cannot grow the label space.
/// </summary>
internal sealed class HttpMetricsMiddleware(RequestDelegate next)
{
    private static readonly string[] RequestLabels = ["code", "method", "controller", "action", "endpoint"];

    private static readonly Histogram Duration = Metrics.CreateHistogram("http_request_duration_seconds",
        "The duration of HTTP requests processed by an ASP.NET Core application.",
        new HistogramConfiguration { LabelNames = RequestLabels, Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    private static readonly Counter Received = Metrics.CreateCounter("http_requests_received_total",
        "Provides the count of HTTP requests that have been processed by the ASP.NET Core pipeline.", RequestLabels);

    private static readonly Gauge InProgress = Metrics.CreateGauge("http_requests_in_progress",
        "The number of requests currently in progress in the ASP.NET Core pipeline.", ["method", "controller", "action", "endpoint"]);

    private static readonly ConcurrentDictionary<(string Method, string Endpoint), Gauge.Child> Running = new();
    private static readonly ConcurrentDictionary<(string Method, string Endpoint, int Code), (Histogram.Child Duration, Counter.Child Received)> Answered = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var method = Method(context.Request.Method);
        var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        var running = Running.GetOrAdd((method, endpoint), static k => InProgress.WithLabels(k.Method, "", "", k.Endpoint));
        running.Inc();
        try
        {
            await next(context);
        }
        finally
        {
            running.Dec();
            var series = Answered.GetOrAdd((method, endpoint, context.Response.StatusCode), static k =>
            {
                var code = k.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (Duration.WithLabels(code, k.Method, "", "", k.Endpoint), Received.WithLabels(code, k.Method, "", "", k.Endpoint));
            });
            series.Duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            series.Received.Inc();
        }
    }

    private static string Method(string method) =>
        HttpMethods.IsGet(method) ? HttpMethods.Get
        : HttpMethods.IsPost(method) ? HttpMethods.Post
        : HttpMethods.IsPut(method) ? HttpMethods.Put
        : HttpMethods.IsDelete(method) ? HttpMethods.Delete
        : HttpMethods.IsHead(method) ? HttpMethods.Head
        : HttpMethods.IsOptions(method) ? HttpMethods.Options
        : HttpMethods.IsPatch(method) ? HttpMethods.Patch
        : "OTHER";
}

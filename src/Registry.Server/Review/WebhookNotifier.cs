using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Registry.Core.Model;
using Registry.Server.Hosting;

namespace Registry.Server.Review;

/// <summary>
/// Proposal webhooks (docs/review.md): opened, reviewed, applied, rejected, withdrawn and stale proposals are POSTed to
/// each <c>Registry:Webhooks:Urls</c> as JSON a Slack incoming webhook takes (<c>text</c>, plus the event and proposal),
/// signed with HMAC-SHA256 of the body under <c>Registry:Webhooks:Secret</c> (<c>X-Registry-Signature: sha256=…</c>),
/// retried with capped exponential backoff. The node that took the change sends it; deliveries are not kept across a
/// restart. The queue is bounded (<c>MaxQueued</c>); beyond, the oldest waiting delivery is dropped and logged.
/// </summary>
public sealed partial class WebhookNotifier(IOptions<RegistryOptions> options, ILogger<WebhookNotifier> logger) : BackgroundService
{
    private readonly WebhookOptions _options = options.Value.Webhooks;
    private readonly Channel<(string Url, string Event, string Body)> _queue = Channel.CreateBounded<(string, string, string)>(
        new BoundedChannelOptions(Math.Max(1, options.Value.Webhooks.MaxQueued)) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMilliseconds(options.Value.Webhooks.TimeoutMs) };

    public sealed record Payload(string Text, string Event, ProposalInfo Proposal);

    public sealed record ProposalInfo(long Id, string Subject, string State, string? StateReason, string Proposer, string Description, string Url, string? Reviewer, string? Decision, string? Comment);

    /// <summary>Queues the event of a proposal change for every configured URL.</summary>
    public void Notify(Proposal proposal, string pageUrl, string actor, string? decision)
    {
        if (_options.Urls.Count == 0) return;
        var kind = proposal.State switch
        {
            Proposal.Applied => "proposal.applied",
            Proposal.Rejected => "proposal.rejected",
            Proposal.Withdrawn => "proposal.withdrawn",
            Proposal.Stale => "proposal.stale",
            _ when decision is null => "proposal.opened",
            _ => "proposal.reviewed",
        };
        var review = decision is null ? null : proposal.Reviews.LastOrDefault(r => r.Reviewer == actor);
        var text = kind switch
        {
            "proposal.opened" => $"{actor} proposed a change to {proposal.Subject}: {proposal.Description} <{pageUrl}|proposal {proposal.Id}>",
            "proposal.reviewed" => $"{actor} reviewed <{pageUrl}|proposal {proposal.Id}> for {proposal.Subject}: {decision}{(review?.Comment is { } c ? $" \"{c}\"" : "")}",
            _ => $"<{pageUrl}|Proposal {proposal.Id}> for {proposal.Subject} is {proposal.State}: {proposal.StateReason}",
        };
        var body = JsonSerializer.Serialize(new Payload(text, kind, new ProposalInfo(proposal.Id, proposal.Subject, proposal.State, proposal.StateReason, proposal.Proposer,
            proposal.Description, pageUrl, decision is null ? null : actor, decision, review?.Comment)), Http.RegistryJson.Options);
        foreach (var url in _options.Urls) _queue.Writer.TryWrite((url, kind, body));
    }

    /// <summary>The signature header's value: <c>sha256=</c> and the HMAC-SHA256 of the body, in lowercase hex.</summary>
    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (url, kind, body) in _queue.Reader.ReadAllAsync(stoppingToken)) await DeliverAsync(url, kind, body, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(string url, string kind, string body, CancellationToken cancellationToken)
    {
        var delivery = Guid.NewGuid().ToString("N");
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Registry-Event", kind);
                request.Headers.Add("X-Registry-Delivery", delivery);
                if (!string.IsNullOrEmpty(_options.Secret)) request.Headers.Add("X-Registry-Signature", Sign(_options.Secret, body));
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode) return;
                failure = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failure = e.Message;
            }
            if (attempt >= _options.MaxAttempts)
            {
                LogGaveUp(logger, kind, url, attempt, failure);
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(_options.RetryMaxMs, _options.RetryBaseMs * Math.Pow(2, attempt - 1))), cancellationToken);
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Webhook {Event} to {Url} not delivered after {Attempts} attempts: {Failure}")]
    private static partial void LogGaveUp(ILogger logger, string @event, string url, int attempts, string failure);
}

using System.Text;
using System.Text.Json;
using Registry.Server.Review;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Proposal webhooks delivered to a local receiver: Slack-shaped, signed, in order, retried until accepted.</summary>
public sealed class ReviewWebhookTests
{
    [Fact]
    public async Task Proposal_events_are_signed_and_retried_until_the_receiver_accepts_them()
    {
        var failuresLeft = 2;
        await using var receiver = await StubHttpServer.StartAsync(request =>
        {
            // The first two attempts fail, as a receiver that is briefly down.
            if (Interlocked.Decrement(ref failuresLeft) >= 0) return (503, null);
            return (200, null);
        });
        await using var server = new RegistryServer
        {
            ExtraArgs = [$"--Registry:Webhooks:Urls:0={receiver.Url}/hook", "--Registry:Webhooks:Secret=s3cret", "--Registry:Webhooks:RetryBaseMs=50"],
        };
        await server.InitializeAsync();
        Assert.Equal(200, (await server.PostAsync("/subjects/hooked-value/versions", Body(Schemas.V1))).Status);
        var opened = await server.PostAsync("/v1/proposals", JsonSerializer.Serialize(new { subject = "hooked-value", schema = Schemas.V2, description = "add age" }));
        var id = opened.Json.GetProperty("id").GetInt64();
        Assert.Equal(200, (await server.PostAsync($"/v1/proposals/{id}/reviews", """{"decision":"COMMENT","comment":"why an int?"}""")).Status);
        Assert.Equal(200, (await server.PostAsync($"/v1/proposals/{id}/withdraw", "")).Status);

        for (var i = 0; i < 200 && receiver.Requests.Count < 5; i++) await Task.Delay(50);
        var requests = receiver.Requests.ToList();
        Assert.Equal(5, requests.Count);
        Assert.All(requests, r => Assert.Equal("/hook", r.Path));
        // Two refused attempts of the first delivery, then the three events in order, each body signed.
        var bodies = requests.Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(bodies[0], bodies[2]);
        var events = bodies.Skip(2).Select(b => JsonDocument.Parse(b).RootElement).ToList();
        Assert.Equal(["proposal.opened", "proposal.reviewed", "proposal.withdrawn"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.Contains("anonymous proposed a change to hooked-value: add age", events[0].GetProperty("text").GetString());
        Assert.EndsWith($"/ui/proposals/{id}", events[0].GetProperty("proposal").GetProperty("url").GetString());
        Assert.Equal("why an int?", events[1].GetProperty("proposal").GetProperty("comment").GetString());
        Assert.Equal("WITHDRAWN", events[2].GetProperty("proposal").GetProperty("state").GetString());
        Assert.Equal(3, receiver.Signatures.Count);
        Assert.All(receiver.Signatures.Zip(bodies.Skip(2)), s => Assert.Equal(WebhookNotifier.Sign("s3cret", s.Second), s.First));
    }
}

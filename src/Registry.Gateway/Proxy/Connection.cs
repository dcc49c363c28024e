using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using Registry.Gateway.Protocol;
using Registry.Gateway.Validation;

namespace Registry.Gateway.Proxy;

/// <summary>
/// One client connection and its upstream connection. Requests are read in order; each gets a response
/// slot in the same order, either filled by the gateway (a produce request refused entirely) or by the
/// next upstream response. The writer empties slots strictly in order, so pipelining and correlation ids
/// are preserved even when some requests never reach the broker.
/// </summary>
internal sealed class Connection(Socket client, string upstreamHost, int upstreamPort, GatewayContext gateway)
{
    /// <summary>A response to send in order; <paramref name="Flushed"/>, when given, completes once it is written.</summary>
    private sealed record Slot(RequestHeader Header, byte[]? Ready, List<(string Topic, PartitionResponse Partition)>? Rejected, TaskCompletionSource? Flushed = null);

    private const short InvalidRecord = 87;
    private const short RequestTimedOut = 7;

    // The records of the partition being checked: one list per connection, reused, since partitions are checked one at a time.
    private readonly List<RecordView> _records = [];

    // SASL terminated here: this connection's authentication, and who it names once done (null when SASL passes through).
    private readonly SaslTermination.Session? _sasl = gateway.Sasl is { } sasl ? new(sasl) : null;

    /// <summary>Who produces through this connection: the SASL principal when the gateway terminates SASL, else the client id.</summary>
    private string? Who(RequestHeader header) => _sasl?.Principal ?? header.ClientId;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var upstream = new TcpClient { NoDelay = true };
        Stream clientStream = new NetworkStream(client, ownsSocket: true);
        await using var socketStream = clientStream;
        var handshakeTimeout = TimeSpan.FromMilliseconds(gateway.Options.TlsHandshakeTimeoutMs);
        if (gateway.ClientTls is { } clientTls)
        {
            try
            {
                clientStream = await clientTls.AuthenticateAsync(clientStream, handshakeTimeout, cts.Token);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                // An untrusted client certificate, a plain-text client on a TLS port, or a handshake that never completes.
                GatewayMetrics.TlsFailures.Add(1, new KeyValuePair<string, object?>("side", "client"));
                gateway.Logger.LogInformation("Client TLS handshake failed: {Message}", e.Message);
                return;
            }
        }
        await using var clientOwned = clientStream;
        Stream upstreamStream;
        try
        {
            await upstream.ConnectAsync(upstreamHost, upstreamPort, cts.Token);
            upstreamStream = upstream.GetStream();
        }
        catch (Exception e) when (FrameIO.IsDisconnect(e) || e is OperationCanceledException)
        {
            gateway.Logger.LogDebug("Upstream {Host}:{Port} unreachable: {Message}", upstreamHost, upstreamPort, e.Message);
            return;
        }
        if (gateway.UpstreamTls is { } upstreamTls)
        {
            try
            {
                upstreamStream = await upstreamTls.AuthenticateAsync(upstreamStream, upstreamHost, handshakeTimeout, cts.Token);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException)
            {
                // The client's connection closes: it never talks to a broker the gateway could not verify.
                GatewayMetrics.TlsFailures.Add(1, new KeyValuePair<string, object?>("side", "upstream"));
                gateway.Logger.LogWarning("TLS to the broker {Host}:{Port} failed: {Message}", upstreamHost, upstreamPort, e.Message);
                return;
            }
        }
        await using var upstreamOwned = upstreamStream;
        var slots = Channel.CreateBounded<Slot>(new BoundedChannelOptions(gateway.Options.MaxInFlight) { SingleReader = true, SingleWriter = true });
        var reading = ReadRequestsAsync(clientStream, upstreamStream, slots.Writer, cts.Token);
        var writing = WriteResponsesAsync(clientStream, upstreamStream, slots.Reader, cts.Token);
        await Task.WhenAny(reading, writing);
        await cts.CancelAsync();
        upstream.Close();
        client.Close();
        try
        {
            await Task.WhenAll(reading, writing);
        }
        catch (Exception e) when (FrameIO.IsDisconnect(e) || e is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    private async Task ReadRequestsAsync(Stream client, Stream upstream, ChannelWriter<Slot> slots, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(gateway.Options.FrameTimeoutMs);
        try
        {
            while (true)
            {
                using var frame = await FrameIO.ReadAsync(client, gateway.Options.MaxFrameBytes, timeout, cancellationToken);
                if (frame is null) return;
                RequestHeader header;
                try
                {
                    header = RequestHeader.Read(frame.Body.Span);
                }
                catch (ProtocolException e)
                {
                    throw new BadFrameException("header", "unreadable request header: " + e.Message);
                }
                if (_sasl is not null)
                {
                    if (header.ApiKey is Apis.SaslHandshake or Apis.SaslAuthenticate)
                    {
                        if (await AuthenticateAsync(frame, header, slots, cancellationToken)) continue;
                        return;
                    }
                    // As a broker with a SASL listener: before authentication, only ApiVersions is served.
                    if (_sasl.Principal is null && header.ApiKey != Apis.ApiVersions)
                        throw new BadFrameException("unauthenticated", $"request of API {header.ApiKey} before SASL authentication");
                }
                if (header.ApiKey == Apis.Produce)
                {
                    await ProduceAsync(frame, header, upstream, slots, cancellationToken);
                    continue;
                }
                await FrameIO.WriteAsync(upstream, frame, cancellationToken);
                await slots.WriteAsync(new Slot(header, null, null), cancellationToken);
            }
        }
        catch (BadFrameException e)
        {
            GatewayMetrics.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", e.Reason));
            gateway.Logger.LogInformation("Closing client connection: {Message}", e.Message);
        }
        finally
        {
            slots.TryComplete();
        }
    }

    /// <summary>Answers a SaslHandshake or SaslAuthenticate itself; false once authentication failed and the answer is sent, so the connection closes.</summary>
    private async Task<bool> AuthenticateAsync(Frame frame, RequestHeader header, ChannelWriter<Slot> slots, CancellationToken cancellationToken)
    {
        byte[] answer;
        try
        {
            answer = _sasl!.Answer(header, frame.Body.Span[header.Length..]);
        }
        catch (ProtocolException e)
        {
            throw new BadFrameException("sasl", "unreadable SASL request: " + e.Message);
        }
        var outcome = _sasl.Failed ? "failed" : _sasl.Principal is not null ? "succeeded" : null;
        if (outcome is not null) GatewayMetrics.SaslAuthentications.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (!_sasl.Failed)
        {
            await slots.WriteAsync(new Slot(header, answer, null), cancellationToken);
            return true;
        }
        gateway.Logger.LogInformation("SASL authentication failed for client {ClientId}", header.ClientId);
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await slots.WriteAsync(new Slot(header, answer, null, flushed), cancellationToken);
        await flushed.Task.WaitAsync(TimeSpan.FromMilliseconds(gateway.Options.FrameTimeoutMs), cancellationToken);
        return false;
    }

    private async Task ProduceAsync(Frame frame, RequestHeader header, Stream upstream, ChannelWriter<Slot> slots, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        ProduceRequest request;
        try
        {
            request = ProduceRequest.Read(frame.Body[header.Length..], header.ApiVersion);
        }
        catch (ProtocolException e)
        {
            throw new BadFrameException("produce", "unreadable produce request: " + e.Message);
        }
        var rejected = new List<(string Topic, PartitionResponse Partition)>();
        var policies = gateway.Policies.Current;
        foreach (var topic in request.Topics)
        {
            var policy = policies.GetValueOrDefault(topic.Name);
            if (policy is null && gateway.Policies.Loaded) continue;
            var tag = new KeyValuePair<string, object?>("topic", topic.Name);
            foreach (var partition in topic.Partitions.ToList())
            {
                var response = await CheckPartitionAsync(topic.Name, policy, partition, tag, Who(header), cancellationToken);
                if (response is null) continue;
                topic.Partitions.Remove(partition);
                rejected.Add((topic.Name, response));
            }
        }
        request.Topics.RemoveAll(t => t.Partitions.Count == 0);
        GatewayMetrics.CheckSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);

        if (rejected.Count == 0)
        {
            await FrameIO.WriteAsync(upstream, frame, cancellationToken);
            if (request.Acks != 0) await slots.WriteAsync(new Slot(header, null, null), cancellationToken);
            return;
        }
        if (request.Acks == 0) GatewayMetrics.Acks0Dropped.Add(rejected.Count);
        if (request.Topics.Count > 0)
        {
            var writer = new KafkaWriter(frame.Length);
            writer.Raw(frame.Body.Span[..header.Length]);
            request.Write(writer, header.ApiVersion);
            await FrameIO.WriteAsync(upstream, writer.ToArray(), cancellationToken);
            if (request.Acks != 0) await slots.WriteAsync(new Slot(header, null, rejected), cancellationToken);
        }
        else if (request.Acks != 0)
        {
            var response = new ProduceResponse();
            Merge(response, rejected);
            await slots.WriteAsync(new Slot(header, ResponseFrame(header, response), null), cancellationToken);
        }
    }

    /// <summary>Null when the partition may go to the broker, else the error response for it.</summary>
    private async Task<PartitionResponse?> CheckPartitionAsync(string topic, Core.Model.TopicPolicy? policy, ProducePartition partition, KeyValuePair<string, object?> tag, string? clientId,
        CancellationToken cancellationToken)
    {
        if (policy is null)
        {
            // Policies not loaded yet: nothing is known to be unchecked-safe, so the producer retries later.
            return new PartitionResponse { Index = partition.Index, ErrorCode = RequestTimedOut, ErrorMessage = "The gateway has not loaded its policies from the registry yet; retry" };
        }
        List<Violation> violations;
        List<RecordView> records;
        int count;
        try
        {
            records = RecordBatches.Read(partition.Records ?? ReadOnlyMemory<byte>.Empty, gateway.Options.MaxDecompressedBytes, _records);
            count = records.Count;
            violations = await gateway.Validator.CheckAsync(topic, policy, records, cancellationToken);
        }
        catch (ProtocolException e)
        {
            GatewayMetrics.BatchesRejected.Add(1, tag);
            GatewayMetrics.RecordsRejected.Add(1, tag, new KeyValuePair<string, object?>("reason", "unreadable"));
            var message = $"Records for {topic}-{partition.Index} could not be read, so they were not checked: {e.Message}";
            gateway.Refusals.Add(topic, partition.Index, [new Violation(0, "unreadable", message)], clientId, DateTimeOffset.UtcNow);
            return new PartitionResponse { Index = partition.Index, ErrorCode = InvalidRecord, ErrorMessage = message };
        }
        catch (HttpRequestException e)
        {
            return new PartitionResponse { Index = partition.Index, ErrorCode = RequestTimedOut, ErrorMessage = $"The registry could not be reached to check the records ({e.Message}); retry" };
        }
        GatewayMetrics.RecordsChecked.Add(count, tag);
        if (violations.Count == 0)
        {
            gateway.Usage.Add(topic, records, clientId);
            return null;
        }
        foreach (var v in violations) GatewayMetrics.RecordsRejected.Add(1, tag, new KeyValuePair<string, object?>("reason", v.Reason));
        GatewayMetrics.BatchesRejected.Add(1, tag);
        gateway.Refusals.Add(topic, partition.Index, violations, clientId, DateTimeOffset.UtcNow);
        var response = new PartitionResponse
        {
            Index = partition.Index,
            ErrorCode = InvalidRecord,
            ErrorMessage = $"{violations.Count} of {count} records break the contract of topic '{topic}'; first, record {violations[0].Index}: {violations[0].Message}",
        };
        foreach (var v in violations.Take(gateway.Options.MaxRecordErrors)) response.RecordErrors.Add((v.Index, v.Message));
        gateway.Logger.LogInformation("Rejected {Topic}-{Partition}: {Message}", topic, partition.Index, response.ErrorMessage);
        return response;
    }

    private static void Merge(ProduceResponse response, List<(string Topic, PartitionResponse Partition)> rejected)
    {
        foreach (var (topic, partition) in rejected)
        {
            var entry = response.Topics.FirstOrDefault(t => t.Name == topic);
            if (entry is null) response.Topics.Add(entry = new ProduceTopicResponse(topic));
            entry.Partitions.Add(partition);
        }
    }

    private static byte[] ResponseFrame(RequestHeader header, ProduceResponse response)
    {
        var writer = new KafkaWriter();
        writer.Int32(header.CorrelationId);
        if (Apis.IsFlexible(Apis.Produce, header.ApiVersion)) writer.EmptyTaggedFields();
        response.Write(writer, header.ApiVersion);
        return writer.ToArray();
    }

    private async Task WriteResponsesAsync(Stream client, Stream upstream, ChannelReader<Slot> slots, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(gateway.Options.FrameTimeoutMs * 10L);
        await foreach (var slot in slots.ReadAllAsync(cancellationToken))
        {
            var response = slot.Ready;
            if (response is null)
            {
                using var frame = await FrameIO.ReadAsync(upstream, int.MaxValue, timeout, cancellationToken);
                if (frame is null) return;
                if (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame.Body.Span) != slot.Header.CorrelationId)
                    throw new IOException("upstream response out of order");
                if (Transform(slot, frame.Body) is { } transformed) await FrameIO.WriteAsync(client, transformed, cancellationToken);
                else await FrameIO.WriteAsync(client, frame, cancellationToken);
                continue;
            }
            await FrameIO.WriteAsync(client, response, cancellationToken);
            slot.Flushed?.TrySetResult();
        }
    }

    /// <summary>The response to send instead of the broker's, or null to forward the broker's as it is.</summary>
    private byte[]? Transform(Slot slot, ReadOnlyMemory<byte> frame)
    {
        var header = slot.Header;
        if (slot.Rejected is { } rejected)
        {
            var flexible = Apis.IsFlexible(Apis.Produce, header.ApiVersion);
            var reader = new KafkaReader(frame.Span);
            reader.Int32();
            if (flexible) reader.TaggedFields();
            var response = ProduceResponse.Read(frame.Span[reader.Position..], header.ApiVersion);
            Merge(response, rejected);
            return ResponseFrame(header, response);
        }
        return header.ApiKey is Apis.Metadata or Apis.FindCoordinator or Apis.DescribeCluster or Apis.ApiVersions
            ? ResponseRewriter.Rewrite(header.ApiKey, header.ApiVersion, frame.ToArray(), gateway.MapBroker, _sasl is null ? null : SaslTermination.ServedApis)
            : null;
    }
}

namespace Registry.Gateway.Protocol;

/// <summary>A produce request (v3-v9) with record sets kept as slices of the frame they came in.</summary>
public sealed class ProduceRequest
{
    public string? TransactionalId { get; init; }

    public short Acks { get; init; }

    public int TimeoutMs { get; init; }

    public List<ProduceTopic> Topics { get; init; } = [];

    public static ProduceRequest Read(ReadOnlyMemory<byte> body, short version)
    {
        if (version < Apis.MinProduce || version > Apis.MaxProduce) throw new ProtocolException($"Produce v{version} is not supported by the gateway");
        var flexible = Apis.IsFlexible(Apis.Produce, version);
        var reader = new KafkaReader(body.Span);
        var request = new ProduceRequest { TransactionalId = reader.String(flexible), Acks = reader.Int16(), TimeoutMs = reader.Int32() };
        var topics = reader.ArrayCount(flexible, minElementSize: 2);
        for (var t = 0; t < topics; t++)
        {
            var topic = new ProduceTopic(reader.String(flexible) ?? throw new ProtocolException("null topic name"));
            var partitions = reader.ArrayCount(flexible, minElementSize: 5);
            for (var p = 0; p < partitions; p++)
            {
                var index = reader.Int32();
                var records = reader.Bytes(flexible, out var isNull);
                topic.Partitions.Add(new ProducePartition(index, isNull ? (ReadOnlyMemory<byte>?)null : body.Slice(reader.Position - records.Length, records.Length)));
                if (flexible) reader.TaggedFields();
            }
            if (flexible) reader.TaggedFields();
            request.Topics.Add(topic);
        }
        if (flexible) reader.TaggedFields();
        if (reader.Remaining != 0) throw new ProtocolException($"{reader.Remaining} bytes after the produce request");
        return request;
    }

    public void Write(KafkaWriter writer, short version)
    {
        var flexible = Apis.IsFlexible(Apis.Produce, version);
        writer.String(TransactionalId, flexible);
        writer.Int16(Acks);
        writer.Int32(TimeoutMs);
        writer.ArrayCount(Topics.Count, flexible);
        foreach (var topic in Topics)
        {
            writer.String(topic.Name, flexible);
            writer.ArrayCount(topic.Partitions.Count, flexible);
            foreach (var partition in topic.Partitions)
            {
                writer.Int32(partition.Index);
                writer.Bytes(partition.Records is { } r ? r.Span : default, partition.Records is null, flexible);
                if (flexible) writer.EmptyTaggedFields();
            }
            if (flexible) writer.EmptyTaggedFields();
        }
        if (flexible) writer.EmptyTaggedFields();
    }
}

public sealed record ProduceTopic(string Name)
{
    public List<ProducePartition> Partitions { get; } = [];
}

public sealed record ProducePartition(int Index, ReadOnlyMemory<byte>? Records);

/// <summary>A produce response (v3-v9).</summary>
public sealed class ProduceResponse
{
    public List<ProduceTopicResponse> Topics { get; } = [];

    public int ThrottleTimeMs { get; set; }

    public static ProduceResponse Read(ReadOnlySpan<byte> body, short version)
    {
        var flexible = Apis.IsFlexible(Apis.Produce, version);
        var reader = new KafkaReader(body);
        var response = new ProduceResponse();
        var topics = reader.ArrayCount(flexible, 2);
        for (var t = 0; t < topics; t++)
        {
            var topic = new ProduceTopicResponse(reader.String(flexible) ?? "");
            var partitions = reader.ArrayCount(flexible, 14);
            for (var p = 0; p < partitions; p++)
            {
                var partition = new PartitionResponse { Index = reader.Int32(), ErrorCode = reader.Int16(), BaseOffset = reader.Int64() };
                partition.LogAppendTimeMs = reader.Int64();
                if (version >= 5) partition.LogStartOffset = reader.Int64();
                if (version >= 8)
                {
                    var errors = reader.ArrayCount(flexible, 5);
                    for (var e = 0; e < errors; e++)
                    {
                        partition.RecordErrors.Add((reader.Int32(), reader.String(flexible)));
                        if (flexible) reader.TaggedFields();
                    }
                    partition.ErrorMessage = reader.String(flexible);
                }
                if (flexible) reader.TaggedFields();
                topic.Partitions.Add(partition);
            }
            if (flexible) reader.TaggedFields();
            response.Topics.Add(topic);
        }
        response.ThrottleTimeMs = reader.Int32();
        if (flexible) reader.TaggedFields();
        return response;
    }

    public void Write(KafkaWriter writer, short version)
    {
        var flexible = Apis.IsFlexible(Apis.Produce, version);
        writer.ArrayCount(Topics.Count, flexible);
        foreach (var topic in Topics)
        {
            writer.String(topic.Name, flexible);
            writer.ArrayCount(topic.Partitions.Count, flexible);
            foreach (var p in topic.Partitions)
            {
                writer.Int32(p.Index);
                writer.Int16(p.ErrorCode);
                writer.Int64(p.BaseOffset);
                writer.Int64(p.LogAppendTimeMs);
                if (version >= 5) writer.Int64(p.LogStartOffset);
                if (version >= 8)
                {
                    writer.ArrayCount(p.RecordErrors.Count, flexible);
                    foreach (var (index, message) in p.RecordErrors)
                    {
                        writer.Int32(index);
                        writer.String(message, flexible);
                        if (flexible) writer.EmptyTaggedFields();
                    }
                    writer.String(p.ErrorMessage, flexible);
                }
                if (flexible) writer.EmptyTaggedFields();
            }
            if (flexible) writer.EmptyTaggedFields();
        }
        writer.Int32(ThrottleTimeMs);
        if (flexible) writer.EmptyTaggedFields();
    }
}

public sealed record ProduceTopicResponse(string Name)
{
    public List<PartitionResponse> Partitions { get; } = [];
}

public sealed class PartitionResponse
{
    public int Index { get; init; }

    public short ErrorCode { get; set; }

    public long BaseOffset { get; set; } = -1;

    public long LogAppendTimeMs { get; set; } = -1;

    public long LogStartOffset { get; set; } = -1;

    public List<(int Index, string? Message)> RecordErrors { get; } = [];

    public string? ErrorMessage { get; set; }
}

using Confluent.Kafka;

namespace Registry.Testing;

/// <summary>A Kafka topic's records as bytes, and Kafka's compaction applied to them, for tests that judge what a store wrote.</summary>
public static class RawTopic
{
    /// <summary>Every record of partition 0 in offset order, uncommitted ones included (as Confluent's reader reads them).</summary>
    public static List<(byte[] Key, byte[]? Value, long Timestamp)> Read(string bootstrapServers, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "raw-" + Guid.NewGuid().ToString("N"),
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadUncommitted,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = new List<(byte[], byte[]?, long)>();
        while (consumer.Consume(TimeSpan.FromSeconds(10)) is { IsPartitionEOF: false } r) records.Add((r.Message.Key, r.Message.Value, r.Message.Timestamp.UnixTimestampMs));
        return records;
    }

    /// <summary>What compaction leaves: the last record per key, tombstones dropped, in offset order.</summary>
    public static List<(byte[] Key, byte[]? Value, long Timestamp)> Compact(IEnumerable<(byte[] Key, byte[]? Value, long Timestamp)> records) =>
        records.Select((r, i) => (r.Key, r.Value, r.Timestamp, i)).GroupBy(r => Convert.ToBase64String(r.Key)).Select(g => g.Last())
            .Where(r => r.Value is not null).OrderBy(r => r.i).Select(r => (r.Key, r.Value, r.Timestamp)).ToList();

    /// <summary>Writes records to partition 0 of a topic, in order, with their timestamps (compaction keeps them).</summary>
    public static async Task WriteAsync(string bootstrapServers, string topic, IEnumerable<(byte[] Key, byte[]? Value, long Timestamp)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]?>(new ProducerConfig { BootstrapServers = bootstrapServers, LingerMs = 5, EnableIdempotence = true }).Build();
        foreach (var (key, value, timestamp) in records)
            producer.Produce(new TopicPartition(topic, 0), new Message<byte[], byte[]?> { Key = key, Value = value, Timestamp = new Timestamp(timestamp, TimestampType.CreateTime) });
        await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(30)));
    }
}

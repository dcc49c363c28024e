using Registry.Storage.Kafka;

namespace Registry.Server.Hosting;

/// <summary>
/// <c>dotnet run --project src/Registry.Server -- dev-kafka [brokers]</c>: a local Kafka-protocol broker
/// (librdkafka's mock cluster) with the <c>_schemas</c>, <c>_registry</c> and <c>_dek_registry_keys</c> topics, for demos and tests. Data lives in memory only.
/// </summary>
public static class DevKafkaCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var brokers = args.Length > 1 && int.TryParse(args[1], out var n) && n > 0 ? n : 1;
        using var cluster = new MockKafkaCluster(brokers);
        cluster.CreateStoreTopics(replicationFactor: brokers);
        Console.WriteLine(cluster.BootstrapServers);
        Console.Error.WriteLine($"Mock Kafka cluster with {brokers} broker(s) and topics _schemas, _registry, _dek_registry_keys; in memory only. Ctrl+C stops it.");
        Console.Error.WriteLine($"Run the registry on it: dotnet run --project src/Registry.Server -- --store kafka --kafka {cluster.BootstrapServers}");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}

using System.Collections.Concurrent;
using System.Net;
using Registry.Server.Tests.Infrastructure;
using Registry.Storage.Kafka;
using Xunit.Abstractions;
using static Registry.Server.Tests.Infrastructure.ClusterChecks;

namespace Registry.Server.Tests;

/// <summary>Several registry processes on one Kafka-protocol cluster (librdkafka's mock), no leader.</summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class KafkaClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly MockKafkaCluster _kafka = new(brokers: 1);
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "registry-kafka-" + Guid.NewGuid().ToString("N"));

    private async Task<ServerProcess[]> StartNodesAsync(int count)
    {
        // The mock's Metadata names controller 0, which does not exist, so admin CreateTopics cannot work on it: create the topics directly.
        _kafka.CreateTopic("_schemas");
        _kafka.CreateTopic("_registry");
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(i => ServerProcess.StartAsync(
            Path.Combine(_scratch, "node" + i), "--store", "kafka", "--kafka", _kafka.BootstrapServers,
            "--Registry:PollIntervalMs=100", "--Registry:WriteTimeoutMs=5000", "--Registry:Kafka:SessionTimeoutMs=3000")));
        _nodes.AddRange(nodes);
        return nodes;
    }

    [Fact]
    public async Task Three_nodes_with_concurrent_writers_agree_on_ids_and_versions()
    {
        var nodes = await StartNodesAsync(3);
        using (var admin = Client(nodes[0]))
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
        await ConvergedConfigAsync(nodes);

        var errors = new ConcurrentBag<string>();
        var acknowledged = await LoadAsync(nodes, writersPerNode: 8, perWriter: 15, errors);
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed");
        Assert.Empty(errors);
        AssertInvariants(await ConvergedAsync(nodes, output), acknowledged);
        await MeasureConvergenceAsync(nodes[0], nodes[1], output);
    }

    [Fact]
    public async Task Broker_down_during_load_gives_clear_errors_keeps_reads_and_recovers()
    {
        var nodes = await StartNodesAsync(2);
        using (var admin = Client(nodes[0]))
        {
            Assert.True((await admin.PutAsync("/config", JsonBody("""{"compatibility":"NONE"}"""))).IsSuccessStatusCode);
            Assert.True((await admin.PostAsync("/subjects/before-down/versions", JsonBody(Schema("Before", 1)))).IsSuccessStatusCode);
        }
        await ConvergedConfigAsync(nodes);
        await ConvergedAsync(nodes, output);

        var errors = new ConcurrentBag<string>();
        var readsDuringOutage = 0;
        // Enough writes that the load is still running when the broker goes down, and an outage longer
        // than the 5 s write budget, so writes waiting on the broker must fail rather than wait it out.
        var acknowledged = await LoadAsync(nodes, writersPerNode: 4, perWriter: 150, errors, during: async _ =>
        {
            await Task.Delay(200);
            _kafka.SetBrokerUp(1, up: false);
            using var reader = Client(nodes[1]);
            for (var i = 0; i < 10; i++)
            {
                if ((await reader.GetAsync("/subjects/before-down/versions/1")).StatusCode == HttpStatusCode.OK) readsDuringOutage++;
                await Task.Delay(100);
            }
            await Task.Delay(6500);
            _kafka.SetBrokerUp(1, up: true);
        });
        output.WriteLine($"{acknowledged.Count} acknowledged, {errors.Count} failed while the broker was down");
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.True(e.Contains("\"error_code\":50001") || e.Contains("\"error_code\":50002"), e));
        Assert.Equal(10, readsDuringOutage);

        foreach (var node in nodes)
        {
            using var http = Client(node);
            var deadline = System.Diagnostics.Stopwatch.StartNew();
            HttpResponseMessage? r = null;
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                r = await http.PostAsync("/subjects/after-up/versions", JsonBody(Schema("After", 1)));
                if (r.IsSuccessStatusCode) break;
                await Task.Delay(250);
            }
            Assert.True(r!.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        }
        AssertInvariants(await ConvergedAsync(nodes, output), acknowledged);
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        _kafka.Dispose();
        try { Directory.Delete(_scratch, true); } catch (IOException) { }
    }
}

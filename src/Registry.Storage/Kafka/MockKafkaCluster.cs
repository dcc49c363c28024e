using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Registry.Storage.Kafka;

/// <summary>
/// librdkafka's mock cluster: a real Kafka-protocol broker implementation inside the native library that
/// ships with librdkafka.redist. For demos (<c>dev-kafka</c>) and tests; never for production data.
/// </summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private const string Library = "librdkafka";
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;

    static MockKafkaCluster() => NativeLibrary.SetDllImportResolver(typeof(MockKafkaCluster).Assembly, Resolve);

    public string BootstrapServers { get; }

    public MockKafkaCluster(int brokers = 1)
    {
        var conf = rd_kafka_conf_new();
        var error = new StringBuilder(512);
        Set(conf, "log_level", "3");
        // The mock cluster needs a client instance to live in; a producer handle is the lightest.
        _handle = rd_kafka_new(0, conf, error, (UIntPtr)error.Capacity);
        if (_handle == IntPtr.Zero) throw new InvalidOperationException("rd_kafka_new failed: " + error);
        _cluster = rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == IntPtr.Zero) throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        BootstrapServers = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster))!;
        // The mock names controller 0 by default, which no broker has (brokers are 1..n): admin clients and kafkajs fail on it.
        rd_kafka_mock_set_controller_id(_cluster, 1);
    }

    /// <summary>Creates a topic directly in the mock cluster (its admin API cannot); an existing topic is left as it is.</summary>
    public void CreateTopic(string topic, int partitions = 1, int replicationFactor = 1)
    {
        const int topicAlreadyExists = 36;
        var err = rd_kafka_mock_topic_create(_cluster, topic, partitions, replicationFactor);
        if (err is not 0 and not topicAlreadyExists) throw new InvalidOperationException($"rd_kafka_mock_topic_create failed with {err}");
    }

    /// <summary>Creates the topics a Kafka store of <paramref name="topic"/> uses (its defaults for the other two), as it would on a real cluster.</summary>
    public void CreateStoreTopics(string topic = "_schemas", int replicationFactor = 1)
    {
        foreach (var t in new KafkaLogSettings(BootstrapServers) { Topic = topic }.StoreTopics) CreateTopic(t, 1, replicationFactor);
    }

    /// <summary>Takes a broker down (its connections are closed and refused) or brings it back.</summary>
    public void SetBrokerUp(int brokerId, bool up)
    {
        var err = up ? rd_kafka_mock_broker_set_up(_cluster, brokerId) : rd_kafka_mock_broker_set_down(_cluster, brokerId);
        if (err != 0) throw new InvalidOperationException($"rd_kafka_mock_broker_set_{(up ? "up" : "down")} failed with {err}");
    }

    /// <summary>The address Metadata names for a broker (it keeps listening where it is): to put a TLS terminator or another proxy in front of it.</summary>
    public void AdvertiseBroker(int brokerId, string host, int port)
    {
        var err = rd_kafka_mock_broker_set_host_port(_cluster, brokerId, host, port);
        if (err != 0) throw new InvalidOperationException($"rd_kafka_mock_broker_set_host_port failed with {err}");
    }

    public void Dispose()
    {
        rd_kafka_mock_cluster_destroy(_cluster);
        rd_kafka_destroy(_handle);
    }

    private static void Set(IntPtr conf, string name, string value)
    {
        var error = new StringBuilder(512);
        if (rd_kafka_conf_set(conf, name, value, error, (UIntPtr)error.Capacity) != 0)
            throw new InvalidOperationException($"rd_kafka_conf_set {name}: {error}");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        foreach (var file in new[] { "librdkafka.so", "centos8-librdkafka.so" })
        {
            if (NativeLibrary.TryLoad(Path.Combine(native, file), out var handle)) return handle;
        }
        return NativeLibrary.TryLoad("librdkafka.so.1", out var system) ? system : IntPtr.Zero;
    }

#pragma warning disable SYSLIB1054, CA2101 // plain DllImport keeps StringBuilder marshalling for the error buffers
    [DllImport(Library)] private static extern IntPtr rd_kafka_conf_new();
    [DllImport(Library, CharSet = CharSet.Ansi)] private static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, StringBuilder errstr, UIntPtr size);
    [DllImport(Library)] private static extern IntPtr rd_kafka_new(int type, IntPtr conf, StringBuilder errstr, UIntPtr size);
    [DllImport(Library)] private static extern void rd_kafka_destroy(IntPtr rk);
    [DllImport(Library)] private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokers);
    [DllImport(Library)] private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);
    [DllImport(Library)] private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [DllImport(Library, CharSet = CharSet.Ansi)] private static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);
    [DllImport(Library)] private static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);
    [DllImport(Library)] private static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
    [DllImport(Library)] private static extern void rd_kafka_mock_set_controller_id(IntPtr cluster, int controllerId);
    [DllImport(Library, CharSet = CharSet.Ansi)] private static extern int rd_kafka_mock_broker_set_host_port(IntPtr cluster, int brokerId, string host, int port);
#pragma warning restore SYSLIB1054, CA2101
}

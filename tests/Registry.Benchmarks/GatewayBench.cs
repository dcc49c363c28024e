using System.Diagnostics;
using System.Net.Http.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Gateway;
using Registry.Server.Hosting;
using Registry.Storage.Kafka;

/// <summary>
/// Produce throughput and p99 latency with the real producer, run in a process of its own (so it does not share the
/// gateway's runtime): straight to the mock cluster, and through the gateway with no policy, with schema-id checks,
/// with full payload checks and with a one-field CEL rule, all in one run.
/// </summary>
internal static class GatewayBench
{
    public static async Task RunAsync(int messages, bool kcat)
    {
        using var kafka = new MockKafkaCluster(3);
        var dir = Path.Combine(Path.GetTempPath(), "registry-gwbench-" + Guid.NewGuid().ToString("N"));
        await using var registry = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", dir, "--Logging:LogLevel:Default=Warning"]);
        await registry.StartAsync();
        var registryUrl = Address(registry);
        await using var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", "--upstream", kafka.BootstrapServers.Split(',')[0], "--registry", registryUrl,
            "--Gateway:BootstrapPort=0", "--Gateway:ListenAddress=127.0.0.1", "--advertised-host", "127.0.0.1", "--Gateway:PolicyRefreshMs=100",
            "--Logging:LogLevel:Default=Warning"]);
        await gateway.StartAsync();
        var through = "127.0.0.1:" + gateway.Services.GetRequiredService<GatewayService>().BootstrapPort;

        using var http = new HttpClient { BaseAddress = new Uri(registryUrl) };
        const string schema = """{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"},{"name":"note","type":"string"}]}""";
        var rule = new { domainRules = new[] { new { name = "amount-not-negative", kind = "CONDITION", mode = "WRITE", type = "CEL", expr = "message.amount >= 0" } } };
        var ids = new Dictionary<string, int>();
        foreach (var (topic, check) in new[] { ("direct", (string?)null), ("passthrough", null), ("ids", "id"), ("payloads", "payload"), ("rules", "rules") })
        {
            kafka.CreateTopic(topic, partitions: 3);
            var reply = await http.PostAsJsonAsync($"/subjects/{topic}-value/versions", new { schema, ruleSet = topic == "rules" ? rule : null });
            ids[topic] = (await reply.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
            if (check is not null) (await http.PutAsJsonAsync($"/v1/policies/{topic}", new { value = new { check } })).EnsureSuccessStatusCode();
        }
        await Task.Delay(500); // the gateway picks the policies up
        await MeasureCheckCostAsync(registryUrl, ids);

        // Warm-up, then rounds of all scenarios in turn; each round's ratios are against that round's direct
        // run, and the median over rounds is reported, so drift in this noisy machine cancels out.
        Func<string, string, int, int, Task<(double Rate, double P99)>> measure = kcat
            ? (bootstrap, topic, id, count) => MeasureWithKcatAsync(kafka.BootstrapServers, bootstrap, topic, id, count, dir)
            : MeasureInProcessOfItsOwnAsync;
        await measure(kafka.BootstrapServers, "direct", ids["direct"], messages / 5);
        await measure(through, "passthrough", ids["passthrough"], messages / 5);
        (string Name, string Bootstrap, string Topic)[] scenarios =
        [
            ("direct to the cluster (baseline)", kafka.BootstrapServers, "direct"),
            ("through the gateway, topic without policy", through, "passthrough"),
            ("through the gateway, schema-id checks", through, "ids"),
            ("through the gateway, payload checks", through, "payloads"),
            ("through the gateway, one-field CEL rule", through, "rules"),
        ];
        const int rounds = 3;
        var rates = new double[scenarios.Length, rounds];
        var p99s = new double[scenarios.Length, rounds];
        var checkMicros = new double[scenarios.Length];
        using var metrics = new HttpClient { BaseAddress = new Uri(Address(gateway)) };
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < scenarios.Length; i++)
            {
                var checkedBefore = await CheckSecondsAsync(metrics);
                (rates[i, round], p99s[i, round]) = await measure(scenarios[i].Bootstrap, scenarios[i].Topic, ids[scenarios[i].Topic], messages);
                checkMicros[i] += (await CheckSecondsAsync(metrics) - checkedBefore) * 1e6 / ((double)messages * rounds);
            }
        }
        static double Median(IEnumerable<double> values) => values.Order().ElementAt(rounds / 2);
        Console.WriteLine($"gateway benchmark: {rounds} rounds of {messages} messages of ~{Payload(1, 0).Length} bytes per scenario, acks=all, linger.ms=5, "
            + (kcat ? "kcat as the producer (its wall time, start and final flush included; no latencies)" : "Confluent.Kafka producer in a process of its own"));
        Console.WriteLine("| scenario | messages/s (median) | ratio to direct (median of rounds) | ratios per round | p99 latency (ms, median) | gateway check time per message (µs) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < scenarios.Length; i++)
        {
            var ratios = Enumerable.Range(0, rounds).Select(r => rates[i, r] / rates[0, r]).ToList();
            Console.WriteLine($"| {scenarios[i].Name} | {Median(Enumerable.Range(0, rounds).Select(r => rates[i, r])):N0} | {Median(ratios):0.00} | {string.Join(" ", ratios.Select(x => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} | {Median(Enumerable.Range(0, rounds).Select(r => p99s[i, r])):0.0} | {checkMicros[i]:0.00} |");
        }
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    /// <summary>The gateway's own cost per record, on one thread without the producer and broker competing for the cores.</summary>
    private static async Task MeasureCheckCostAsync(string registryUrl, Dictionary<string, int> ids)
    {
        using var http = new HttpClient { BaseAddress = new Uri(registryUrl) };
        var validator = new Registry.Gateway.Validation.RecordValidator(new Registry.Gateway.Validation.RegistryClient(http),
            Registry.Formats.FormatCatalog.Create(new Registry.Formats.FormatLimits()), 64);
        byte[] Batch(string topic) => Registry.Gateway.Protocol.RecordBatches.Write(Enumerable.Range(0, 500).Select(i => ((byte[]?)null, (byte[]?)Payload(ids[topic], i))).ToList());
        Console.WriteLine("| gateway work per record, one thread, 500-record batches | ns per record |");
        Console.WriteLine("|---|---|");
        foreach (var (name, topic, policy) in new[]
        {
            ("read the batch only", "ids", (Registry.Core.Model.TopicPolicy?)null),
            ("read + schema-id check", "ids", new Registry.Core.Model.TopicPolicy { Value = new() { Check = "id" } }),
            ("read + payload check", "payloads", new Registry.Core.Model.TopicPolicy { Value = new() { Check = "payload" } }),
            ("read + payload check + one-field CEL rule", "rules", new Registry.Core.Model.TopicPolicy { Value = new() { Check = "rules" } }),
        })
        {
            var batch = Batch(topic);
            const int iterations = 5000;
            for (var warm = 0; warm < 2000; warm++) await Check(batch, topic, policy);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) await Check(batch, topic, policy);
            Console.WriteLine($"| {name} | {clock.Elapsed.TotalNanoseconds / (iterations * 500.0):0} |");
        }

        async Task Check(byte[] batch, string topic, Registry.Core.Model.TopicPolicy? policy)
        {
            var records = Registry.Gateway.Protocol.RecordBatches.Read(batch, 1 << 26);
            if (policy is not null && (await validator.CheckAsync(topic, policy, records, CancellationToken.None)).Count > 0) throw new InvalidOperationException("a valid record was refused");
        }
    }

    /// <summary>The gateway's cumulative time spent checking produce requests, from its /metrics.</summary>
    private static async Task<double> CheckSecondsAsync(HttpClient metrics)
    {
        var text = await metrics.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("registry_gateway_produce_check_seconds_sum ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Payload(int id, int i)
    {
        var record = new Avro.Generic.GenericRecord((Avro.RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"},{"name":"note","type":"string"}]}"""));
        record.Add("id", $"order-{i}");
        record.Add("amount", (long)i);
        record.Add("note", new string('x', 100));
        using var stream = new MemoryStream();
        stream.WriteByte(0);
        stream.Write([(byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id]);
        new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(record.Schema).Write(record, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    /// <summary>Runs <see cref="ProduceAsync"/> in a child process (this program with <c>--produce</c>) and reads its rate and p99.</summary>
    private static async Task<(double Rate, double P99)> MeasureInProcessOfItsOwnAsync(string bootstrap, string topic, int schemaId, int messages)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(GatewayBench).Assembly.Location);
        foreach (var a in new[] { "--produce", bootstrap, topic, messages.ToString(System.Globalization.CultureInfo.InvariantCulture), schemaId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        using var child = Process.Start(info)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the producer process for {topic} exited with {child.ExitCode}");
        var parts = output.Trim().Split(' ');
        return (double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// kcat (<c>apt-get install -y kcat</c>) sends <paramref name="messages"/> records from a file written beforehand,
    /// split on a delimiter no payload contains. The rate is the records the topic gained (read from the cluster, so a
    /// bad split cannot pass unnoticed) over kcat's wall time, which includes its start and its final flush.
    /// </summary>
    private static async Task<(double Rate, double P99)> MeasureWithKcatAsync(string cluster, string bootstrap, string topic, int schemaId, int messages, string dir)
    {
        var delimiter = new byte[] { 0xFE, 0xFD, 0xFC, 0xFB };
        var file = Path.Combine(dir, $"kcat-{schemaId}-{messages}.bin");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(dir);
            var payloads = Enumerable.Range(0, 1000).Select(i => Payload(schemaId, i)).ToList();
            if (payloads.Any(p => p.AsSpan().IndexOf(delimiter) >= 0)) throw new InvalidOperationException("a payload contains the kcat delimiter");
            using var output = new BufferedStream(File.Create(file), 1 << 20);
            for (var i = 0; i < messages; i++)
            {
                if (i > 0) output.Write(delimiter);
                output.Write(payloads[i % payloads.Count]);
            }
        }
        var before = HighWatermarks(cluster, topic);
        var info = new ProcessStartInfo("kcat") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-P", "-b", bootstrap, "-t", topic, "-X", "acks=all", "-X", "linger.ms=5", "-X", "enable.idempotence=false", "-D", "\\xfe\\xfd\\xfc\\xfb", "-l", file })
            info.ArgumentList.Add(a);
        Console.Error.WriteLine($"measuring {topic} via {bootstrap} with kcat");
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(info)!;
        var errors = await child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        var elapsed = clock.Elapsed.TotalSeconds;
        var gained = HighWatermarks(cluster, topic) - before;
        if (child.ExitCode != 0 || gained != messages)
            throw new InvalidOperationException($"kcat to {topic} exited with {child.ExitCode} and the topic gained {gained} of {messages} records: {errors}");
        return (messages / elapsed, double.NaN);
    }

    private static long HighWatermarks(string cluster, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = cluster, GroupId = "bench-watermarks" }).Build();
        return Enumerable.Range(0, 3).Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>The producer process: sends <paramref name="messages"/> records and prints "rate p99-ms".</summary>
    public static async Task ProduceAsync(string bootstrap, string topic, int messages, int schemaId)
    {
        var payloads = Enumerable.Range(0, 1000).Select(i => Payload(schemaId, i)).ToList();
        var (rate, p99) = await MeasureAsync(bootstrap, topic, payloads, messages);
        Console.WriteLine(FormattableString.Invariant($"{rate} {p99}"));
    }

    private static async Task<(double Rate, double P99)> MeasureAsync(string bootstrap, string topic, List<byte[]> payloads, int messages)
    {
        Console.Error.WriteLine($"measuring {topic} via {bootstrap}");
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5, Acks = Acks.All, EnableIdempotence = false })
            .SetLogHandler((_, m) => Console.Error.WriteLine(m.Message)).Build();
        var latencies = new double[messages];
        var done = new TaskCompletionSource();
        var remaining = messages;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            var index = i;
            var sent = clock.Elapsed.TotalMilliseconds;
            producer.Produce(topic, new Message<Null, byte[]> { Value = payloads[i % payloads.Count] }, report =>
            {
                latencies[index] = clock.Elapsed.TotalMilliseconds - sent;
                if (report.Error.IsError) Interlocked.Increment(ref failed);
                if (Interlocked.Decrement(ref remaining) == 0) done.TrySetResult();
            });
        }
        while (!done.Task.IsCompleted)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"{remaining} of {messages} messages to {topic} via {bootstrap} still undelivered after 2 minutes");
            producer.Poll(TimeSpan.FromMilliseconds(100));
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        if (failed > 0) throw new InvalidOperationException($"{failed} of {messages} messages to {topic} failed");
        Array.Sort(latencies);
        return (messages / elapsed, latencies[(int)(messages * 0.99)]);
    }

    private static string Address(WebApplication app) => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

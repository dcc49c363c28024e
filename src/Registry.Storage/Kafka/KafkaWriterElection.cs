using System.Diagnostics;
using Confluent.Kafka;

namespace Registry.Storage.Kafka;

/// <summary>
/// Elects the one node that writes: the nodes join one consumer group on the single-partition registry topic,
/// and the member the group assigns that partition is the writer (cooperative-sticky, so it stays the writer
/// while others join). On becoming the writer it opens a transactional producer with the shared transactional
/// id, which fences every older writer at the broker (docs/kafka.md), and announces its URL in the registry topic.
/// It writes only within its lease: half the session timeout since it last heard from the group, so it stops
/// before the group can hand the partition to another node.
/// </summary>
internal sealed class KafkaWriterElection : IDisposable
{
    private readonly KafkaLogSettings _settings;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IProducer<string, string?>? _producer;
    private volatile bool _assigned;
    private volatile bool _rejoin;
    private long _lastHeard;
    private int _epoch;

    public KafkaWriterElection(KafkaLogSettings settings)
    {
        _settings = settings;
        _thread = new Thread(Run) { IsBackground = true, Name = "registry-writer-election" };
    }

    /// <summary>Raised (on the election thread) when this node became the writer, with its producer; the log announces it.</summary>
    public Action<IProducer<string, string?>>? BecameWriter { get; set; }

    /// <summary>Whether this node is the writer and inside its lease.</summary>
    public bool IsWriter => Volatile.Read(ref _producer) is not null && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard)) < _settings.Lease;

    /// <summary>Counts this node's terms as writer; a new term means the log may hold records it has not read.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    public void Start() => _thread.Start();

    /// <summary>
    /// Runs <paramref name="write"/> with the writer's producer; null when this node is not the writer. No step-down
    /// disposes the producer while a write uses it.
    /// </summary>
    public async Task<T?> WithProducerAsync<T>(Func<IProducer<string, string?>, Task<T>> write, CancellationToken cancellationToken) where T : struct
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!IsWriter) return null;
            return await write(_producer!);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The producer is fenced or failed fatally: stop writing and rejoin the group, so that the group elects afresh.</summary>
    public void Abdicate()
    {
        StorageLog.SteppedDown(_settings.Logger, "fenced by another writer, or the producer failed; rejoining");
        StepDown(rejoin: true);
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (_settings.AdvertisedUrl() is null)
            {
                // Nobody could forward to us yet: do not stand for election before the server listens.
                _stop.Token.WaitHandle.WaitOne(100);
                continue;
            }
            try
            {
                RunMembership();
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                // Whatever failed (broker unreachable, fencing during the announcement), stand again shortly.
                StorageLog.SteppedDown(_settings.Logger, "the group membership failed: " + e.Message);
                StepDown(rejoin: false);
                _stop.Token.WaitHandle.WaitOne(500);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
        }
        StepDown(rejoin: false);
    }

    private void RunMembership()
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = _settings.BootstrapServers,
            GroupId = _settings.EffectiveGroupId,
            SessionTimeoutMs = _settings.SessionTimeoutMs,
            HeartbeatIntervalMs = Math.Max(100, _settings.SessionTimeoutMs / 6),
            MaxPollIntervalMs = Math.Max(_settings.SessionTimeoutMs, 10_000),
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Latest,
            ReconnectBackoffMaxMs = 1000,
        })
            .SetPartitionsAssignedHandler((_, partitions) => { if (partitions.Count > 0) _assigned = true; })
            .SetPartitionsRevokedHandler((_, partitions) => { if (partitions.Count > 0) StepDown(rejoin: false); })
            .SetPartitionsLostHandler((_, _) => StepDown(rejoin: false))
            .Build();
        consumer.Subscribe(_settings.EffectiveRegistryTopic);
        Interlocked.Exchange(ref _lastHeard, Stopwatch.GetTimestamp());
        _rejoin = false;
        try
        {
            while (!_stop.IsCancellationRequested && !_rejoin)
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
                // A gap longer than the lease (the process was paused, or starved) means the group may have moved
                // on without us: stop writing at once and rejoin, rather than trust a membership we cannot confirm.
                if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard)) >= _settings.Lease)
                {
                    if (Volatile.Read(ref _producer) is not null) StorageLog.SteppedDown(_settings.Logger, "no word from the group within the lease (paused or starved); rejoining");
                    StepDown(rejoin: true);
                    break;
                }
                Interlocked.Exchange(ref _lastHeard, Stopwatch.GetTimestamp());
                if (_assigned && Volatile.Read(ref _producer) is null) BecomeWriter();
            }
        }
        finally
        {
            StepDown(rejoin: false);
            try { consumer.Close(); } catch (KafkaException) { }
        }
    }

    private void BecomeWriter()
    {
        var producer = new ProducerBuilder<string, string?>(new ProducerConfig
        {
            BootstrapServers = _settings.BootstrapServers,
            TransactionalId = _settings.EffectiveTransactionalId,
            TransactionTimeoutMs = (int)Math.Max(10_000, _settings.Timeout.TotalMilliseconds * 2),
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 0,
            MessageTimeoutMs = (int)_settings.Timeout.TotalMilliseconds,
            ReconnectBackoffMaxMs = 1000,
        }).Build();
        try
        {
            // Fences every producer with the same transactional id and aborts its open transaction (on a real broker).
            producer.InitTransactions(_settings.Timeout);
            BecameWriter?.Invoke(producer);
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException)
        {
            producer.Dispose();
            throw;
        }
        if (!_assigned)
        {
            producer.Dispose();
            return;
        }
        Interlocked.Increment(ref _epoch);
        Volatile.Write(ref _producer, producer);
    }

    private void StepDown(bool rejoin)
    {
        _assigned = false;
        if (rejoin) _rejoin = true;
        var producer = Interlocked.Exchange(ref _producer, null);
        if (producer is null) return;
        // Dispose once no write uses it; writes check IsWriter, which is already false.
        _ = Task.Run(async () =>
        {
            await _gate.WaitAsync();
            try { producer.Dispose(); }
            finally { _gate.Release(); }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}

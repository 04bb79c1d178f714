using System.Runtime;

namespace GeoLedger;

/// <summary>
/// Keeps the garbage collector from stopping a node for a whole-heap collection, which every write
/// in flight would wait out. At a million keys a node's heap is about 250 MiB, nearly all of it
/// live, and two things paused it for 70-330 ms (EventPipe GC events, 1M-key catch-up benchmark):
/// <list type="bullet">
/// <item>A blocking, compacting gen2 chosen for fragmentation. In <see cref="GCLatencyMode.SustainedLowLatency"/>
/// gen2 collections stay in the background unless memory runs low.</item>
/// <item>The runtime's background-GC thread (workstation GC) exits after 20 s without a background
/// collection, and the next gen2, on a thread created for it, sometimes marked the whole heap with
/// every thread stopped. A gen2 is started in the background whenever none ran for
/// <see cref="Interval"/>, so that thread never idles long enough to exit. On a heap of 250 MiB that
/// is one background mark every 15 s on a low-priority thread; on a busy node gen2 collections come
/// more often than that by themselves and none is added.</item>
/// </list>
/// </summary>
internal sealed class GcLatency
{
    /// <summary>Gen2-free time after which a background gen2 is started: under the runtime's 20 s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly Func<int> gen2Count;
    private readonly Action startBackgroundGen2;
    private int lastCount;
    private long lastChangeMs;

    public GcLatency(Func<int> gen2Count, Action startBackgroundGen2, long nowMs)
    {
        this.gen2Count = gen2Count;
        this.startBackgroundGen2 = startBackgroundGen2;
        lastCount = gen2Count();
        lastChangeMs = nowMs;
    }

    /// <summary>Sets the latency mode and starts the thread that keeps background collections coming (a node process only: the mode is process-wide).</summary>
    public static void Start()
    {
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        var keeper = new GcLatency(
            () => GC.CollectionCount(GC.MaxGeneration),
            () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false),
            Environment.TickCount64);
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(1000);
                keeper.Tick(Environment.TickCount64);
            }
        })
        { IsBackground = true, Name = "gc latency", Priority = ThreadPriority.BelowNormal };
        thread.UnsafeStart();
    }

    /// <summary>Called every second or so: starts a background gen2 when none ran for <see cref="Interval"/>.</summary>
    public void Tick(long nowMs)
    {
        var count = gen2Count();
        if (count != lastCount)
        {
            lastCount = count;
            lastChangeMs = nowMs;
            return;
        }

        if (nowMs - lastChangeMs < (long)Interval.TotalMilliseconds)
            return;
        startBackgroundGen2();
        lastCount = gen2Count();
        lastChangeMs = nowMs;
    }
}

using System.Runtime.InteropServices;

namespace GeoLedger.Storage;

/// <summary>
/// Runs long background work (writing a snapshot) on a thread of its own at a lower CPU priority
/// (Linux nice 10 for that thread only), so on a busy machine the requests and the Raft traffic
/// beside it get the processors first; the work only takes longer.
/// </summary>
internal static partial class BackgroundWork
{
    private const int Nice = 10;

    /// <summary>Starts <paramref name="work"/>; the task completes (or faults) when it ends.</summary>
    public static Task Start(string name, Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerPriority();
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    private static void LowerPriority()
    {
        if (OperatingSystem.IsLinux())
            _ = setpriority(PRIO_PROCESS, gettid(), Nice); // best effort: a refusal leaves the normal priority
    }

    private const int PRIO_PROCESS = 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}

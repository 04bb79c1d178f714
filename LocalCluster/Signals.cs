using System.Runtime.InteropServices;

namespace GeoLedger.LocalCluster;

/// <summary>POSIX signals for fault injection: freeze and thaw a node without killing it.</summary>
public static partial class Signals
{
    /// <summary>SIGSTOP: the process freezes, its sockets stay open.</summary>
    public const int Stop = 19;

    /// <summary>SIGCONT: a stopped process resumes.</summary>
    public const int Continue = 18;

    /// <summary>SIGKILL: the process dies at once.</summary>
    public const int Kill = 9;

    /// <summary>SIGTERM: graceful shutdown.</summary>
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process exists any more.</summary>
    public static bool TrySend(int pid, int signal) => kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}

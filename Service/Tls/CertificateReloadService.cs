using System.Security.Cryptography;

namespace GeoLedger.Tls;

/// <summary>
/// Watches the certificate file and reloads it: on every change the folder reports (certbot's hook
/// renames the new file into place), and once a minute in case a notification was missed.
/// </summary>
internal sealed class CertificateReloadService(CertificateReloader reloader, ILogger<CertificateReloader> logger) : IHostedService, IDisposable
{
    /// <summary>How often the file is checked without a notification.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileSystemWatcher? _watcher;
    private Timer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(reloader.Path)!;
        _watcher = new FileSystemWatcher(folder, Path.GetFileName(reloader.Path))
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Reload();
        _watcher.Created += (_, _) => Reload();
        _watcher.Renamed += (_, _) => Reload();
        _watcher.EnableRaisingEvents = true;
        _timer = new Timer(_ => Reload(), null, PollInterval, PollInterval);
        TlsLogMessages.Serving(logger, reloader.Path, reloader.Certificate.Subject, reloader.Certificate.NotAfter);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _timer?.Dispose();
    }

    private void Reload()
    {
        // One reload at a time; a notification during a reload is covered by the stamp check of the next.
        if (!_gate.Wait(0))
            return;
        try
        {
            if (reloader.ReloadIfChanged())
                TlsLogMessages.Reloaded(logger, reloader.Path, reloader.Certificate.Subject, reloader.Certificate.NotAfter);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            TlsLogMessages.ReloadFailed(logger, reloader.Path, e.Message);
        }
        finally
        {
            _gate.Release();
        }
    }
}

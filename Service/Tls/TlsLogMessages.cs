namespace GeoLedger.Tls;

/// <summary>The certificate reloader's log lines (event ids 9100-9199).</summary>
internal static partial class TlsLogMessages
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "Serving https with the certificate in {Path} ({Subject}, valid until {NotAfter:u})")]
    public static partial void Serving(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Reloaded the certificate in {Path} ({Subject}, valid until {NotAfter:u}): new connections get it")]
    public static partial void Reloaded(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Could not reload the certificate in {Path}, still serving the previous one: {Reason}")]
    public static partial void ReloadFailed(ILogger logger, string path, string reason);
}

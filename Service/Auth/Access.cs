namespace GeoLedger.Auth;

/// <summary>What a client token may do; each level implies the ones below it.</summary>
public enum Access
{
    /// <summary>Reads: keys, listings, the cluster view, metrics.</summary>
    Read = 1,

    /// <summary>Reads and writes.</summary>
    Write = 2,

    /// <summary>Reads, writes and membership changes.</summary>
    Admin = 3,
}

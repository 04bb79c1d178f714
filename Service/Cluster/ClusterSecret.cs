using System.Security.Cryptography;
using System.Text;

namespace GeoLedger.Cluster;

/// <summary>The shared secret every Raft message carries in <see cref="HeaderName"/>.</summary>
public sealed class ClusterSecret(string? secret)
{
    /// <summary>The request header that carries the secret.</summary>
    public const string HeaderName = "X-GeoLedger-Cluster-Secret";

    private readonly byte[]? expectedHash = secret is { Length: > 0 } ? SHA256.HashData(Encoding.UTF8.GetBytes(secret)) : null;

    /// <summary>The secret to send; null when the cluster runs without one (loopback only).</summary>
    public string? Value { get; } = secret is { Length: > 0 } ? secret : null;

    /// <summary>True when <paramref name="presented"/> is the secret (constant time), or when no secret is configured.</summary>
    public bool Accepts(string? presented)
    {
        if (expectedHash is null)
            return true;
        if (presented is null)
            return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expectedHash);
    }
}

using System.Security.Cryptography;
using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Auth;

/// <summary>
/// The client tokens of <c>Ledger:ApiTokens</c>, held as SHA-256 hashes (the tokens themselves are never kept
/// or logged), and whether reads need one (<c>Ledger:RequireReadAuth</c>).
/// </summary>
public sealed class ApiTokens
{
    private readonly Dictionary<string, Access> accessByHash = new(StringComparer.Ordinal);

    /// <summary>Reads the tokens from <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A token is empty or names an unknown access; the message names the setting.</exception>
    public ApiTokens(LedgerOptions options)
    {
        foreach (var (token, index) in options.ApiTokens.Select((t, i) => (t, i)))
        {
            if (string.IsNullOrWhiteSpace(token.Token))
                throw new InvalidOperationException($"Ledger:ApiTokens:{index}:Token is empty: give every token a value");
            var access = token.Access.ToLowerInvariant() switch
            {
                "read" => Access.Read,
                "write" => Access.Write,
                "admin" => Access.Admin,
                _ => throw new InvalidOperationException($"Ledger:ApiTokens:{index}:Access is '{token.Access}': use read, write or admin"),
            };
            var hash = Hash(token.Token);
            accessByHash[hash] = accessByHash.TryGetValue(hash, out var other) && other > access ? other : access;
        }

        RequireReadAuth = options.RequireReadAuth;
        if (RequireReadAuth && IsOff)
            throw new InvalidOperationException("Ledger:RequireReadAuth is true but Ledger:ApiTokens is empty: add a token or turn read authentication off");
    }

    /// <summary>True when no token is configured: no authentication (local use only).</summary>
    public bool IsOff => accessByHash.Count == 0;

    /// <summary>True when reads need a token too.</summary>
    public bool RequireReadAuth { get; }

    /// <summary>True when anyone may read: no tokens, or reads are open.</summary>
    public bool ReadsAreOpen => IsOff || !RequireReadAuth;

    /// <summary>The access of <paramref name="token"/>, or null when it is not one of the configured tokens.</summary>
    public Access? Find(string token) => accessByHash.TryGetValue(Hash(token), out var access) ? access : null;

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

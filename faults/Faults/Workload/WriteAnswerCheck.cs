using System.Globalization;

namespace GeoLedger.Faults.Workload;

/// <summary>
/// A write's 200 must carry the entry written: the key and value the client sent, at the revision of its
/// <c>X-GeoLedger-Revision</c> header. An answer naming another entry means the node acknowledged something other
/// than what it applied for this request (an old leader answering from a state the cluster never committed, say).
/// </summary>
public static class WriteAnswerCheck
{
    /// <summary>The response header with the store's revision once the write was applied.</summary>
    public const string RevisionHeader = "X-GeoLedger-Revision";

    /// <summary>Null when the answer is the entry written; otherwise the anomaly, naming the client, key and both values.</summary>
    /// <param name="client">The writing client.</param>
    /// <param name="key">The key written.</param>
    /// <param name="written">The value written (the text of a JSON string).</param>
    /// <param name="body">The 200's body.</param>
    /// <param name="revisionHeader">The <see cref="RevisionHeader"/> value, or null when the answer had none.</param>
    public static string? Check(int client, string key, string written, string body, string? revisionHeader)
    {
        if (EntryAnswer.Parse(body) is not { } answer)
            return $"client {client} wrote '{key}' = '{written}' but the 200 is not {{key, value, revision}}: {Shorten(body)}";
        if (answer.Key != key || answer.Value != written)
            return $"client {client} wrote '{key}' = '{written}' but the 200 answered '{answer.Key}' = '{Shorten(answer.Value)}' at revision {answer.Revision}";
        if (revisionHeader is null)
            return null;
        if (!long.TryParse(revisionHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var stamped))
            return $"client {client} wrote '{key}' = '{written}': the 200's {RevisionHeader} '{Shorten(revisionHeader)}' is not a revision";
        return stamped == answer.Revision
            ? null
            : $"client {client} wrote '{key}' = '{written}': the 200's body says revision {answer.Revision}, its {RevisionHeader} says {stamped}";
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

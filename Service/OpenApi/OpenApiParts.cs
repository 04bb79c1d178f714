using Microsoft.OpenApi;

namespace GeoLedger.OpenApi;

/// <summary>The parameters and headers several operations share, as OpenAPI objects.</summary>
internal static class OpenApiParts
{
    public static OpenApiParameter Consistency => Query("consistency",
        "`linearizable` (default: a read barrier through the leader, never stale) or `local` (this node's applied state, may lag).",
        new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["linearizable", "local"] });

    public static OpenApiParameter MinRevision => Query("minRevision",
        "Read your writes on any node: wait until this node has applied this revision (the `X-GeoLedger-Revision` of a write), then read its own state with no leader round trip; 503 if it has not within Ledger:ReadTimeoutMs. Not with `consistency=linearizable` (400).",
        new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" });

    public static OpenApiParameter WaitRevision => Query("waitRevision",
        "Blocking read: answer once the key's revision is above this (or the key, at or below it, is deleted: 404), or at the timeout as it then is.",
        new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" });

    public static OpenApiParameter WaitTimeout => Query("timeout",
        "With waitRevision: the longest wait, a whole number of `ms`, `s` or `m` (default `30s`, at most Ledger:MaxWaitSeconds, 300 s by default).",
        new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]{1,9}(ms|s|m)?$" });

    public static OpenApiParameter FromRevision => Query("fromRevision",
        "The first revision to send changes of (default: the next one). Older than the node keeps: 410 with `oldestRevision`.",
        new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" });

    public static OpenApiParameter LastEventId => Header("Last-Event-ID",
        "The id of the last event received (a revision): the watch goes on right after it (an EventSource sends it by itself when it reconnects).");

    public static OpenApiParameter Prefix => Query("prefix", "Only keys starting with this (default: every key).", new OpenApiSchema { Type = JsonSchemaType.String });

    public static OpenApiParameter After => Query("after", "Start after this key: the `next` of the previous page.", new OpenApiSchema { Type = JsonSchemaType.String });

    public static OpenApiParameter Limit => Query("limit", "Most entries in the page.",
        new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = "1000", Default = System.Text.Json.Nodes.JsonValue.Create(100) });

    public static OpenApiParameter IfMatch => Header("If-Match",
        "Compare-and-set: `\"<revision>\"` changes the key only at that revision, `*` only if it exists; decided when the entry is applied (412 otherwise).");

    public static OpenApiParameter IfNoneMatchWrite => Header("If-None-Match", "`*`: create only, 412 if the key exists.");

    public static OpenApiParameter IfNoneMatchRead => Header("If-None-Match", "`\"<revision>\"`: 304 when the key is still at that revision.");

    public static OpenApiHeader ETag => ResponseHeader("The key's revision in quotes, for If-Match and If-None-Match.");

    public static OpenApiHeader Location => ResponseHeader("The same request at the leader's public URL (resend the body; `curl --location-trusted` resends the token).");

    public static OpenApiHeader Revision => ResponseHeader("The store's revision once this write was applied: pass it as `minRevision` to read the write on any node.");

    public static OpenApiHeader BackupRevision => ResponseHeader("The revision the backup holds the store at; a restored cluster continues after it.");

    public static OpenApiHeader RetryAfter => ResponseHeader("Seconds to wait before retrying.");

    public static OpenApiHeader WwwAuthenticate => ResponseHeader("`Bearer`.");

    public static OpenApiHeader Node => ResponseHeader("The answering member's id.");

    public static OpenApiHeader Leader => ResponseHeader("The leader's member id, or `none`; only for requests that may read, never on a 401.");

    private static OpenApiParameter Query(string name, string description, OpenApiSchema schema) =>
        new() { Name = name, In = ParameterLocation.Query, Description = description, Schema = schema };

    private static OpenApiParameter Header(string name, string description) =>
        new() { Name = name, In = ParameterLocation.Header, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static OpenApiHeader ResponseHeader(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
}

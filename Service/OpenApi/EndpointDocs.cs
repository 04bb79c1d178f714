using Microsoft.OpenApi;

namespace GeoLedger.OpenApi;

/// <summary>
/// What each client endpoint answers, for the OpenAPI document: one method per endpoint, chained onto its Map call.
/// The OpenAPI drift test provokes every status listed here against a running node.
/// </summary>
internal static class EndpointDocs
{
    private const string Kv = "kv";

    public static RouteHandlerBuilder DescribeGetKey(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("getKey").WithTags(Kv).WithSummary("Read a key")
        .Produces<Entry>().Produces(StatusCodes.Status304NotModified)
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .Parameters(OpenApiParts.Consistency, OpenApiParts.MinRevision, OpenApiParts.WaitRevision, OpenApiParts.WaitTimeout, OpenApiParts.IfNoneMatchRead)
        .ResponseHeader("200", "ETag", OpenApiParts.ETag).ResponseHeader("304", "ETag", OpenApiParts.ETag);

    public static RouteHandlerBuilder DescribePutKey(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("putKey").WithTags(Kv).WithSummary("Write a key: replicated, committed and applied before the answer")
        .Body<ValueBody>()
        .Produces<Entry>().Redirects()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).DiskFull().Unavailable()
        .Parameters(OpenApiParts.IfMatch, OpenApiParts.IfNoneMatchWrite)
        .ResponseHeader("200", "ETag", OpenApiParts.ETag).Revision("200", "412");

    public static RouteHandlerBuilder DescribeDeleteKey(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("deleteKey").WithTags(Kv).WithSummary("Delete a key")
        .Produces(StatusCodes.Status204NoContent).Redirects()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed).DiskFull().Unavailable()
        .Parameters(OpenApiParts.IfMatch).Revision("204", "404", "412");

    public static RouteHandlerBuilder DescribeListKeys(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("listKeys").WithTags(Kv).WithSummary("List keys by prefix, a page at a time")
        .Produces<EntryPage>()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .Parameters(OpenApiParts.Prefix, OpenApiParts.Limit, OpenApiParts.After, OpenApiParts.Consistency, OpenApiParts.MinRevision);

    public static RouteHandlerBuilder DescribeTxn(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("transaction").WithTags(Kv).WithSummary("Compare keys, then put, delete and get atomically: one log entry, one revision")
        .Body<TxnRequest>()
        .Produces<TxnAnswer>().Redirects()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType).DiskFull().Unavailable()
        .Revision("200");

    public static RouteHandlerBuilder DescribeBackup(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("backup").WithTags("backup").WithSummary("The whole store at one revision, as a checksummed snapshot file for restore")
        .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .Parameters(OpenApiParts.Consistency)
        .ResponseHeader("200", "X-GeoLedger-Backup-Revision", OpenApiParts.BackupRevision);

    public static RouteHandlerBuilder DescribeWatch(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("watch").WithTags(Kv).WithSummary("Every change under a prefix from a revision on, as Server-Sent Events (id = revision; resume with Last-Event-ID)")
        .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .Parameters(OpenApiParts.Prefix, OpenApiParts.FromRevision, OpenApiParts.LastEventId, OpenApiParts.Consistency);

    public static RouteHandlerBuilder DescribeCluster(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("getCluster").WithTags("cluster").WithSummary("This node's view of the cluster")
        .Produces<ClusterState>().ProducesProblem(StatusCodes.Status401Unauthorized);

    public static RouteHandlerBuilder DescribeAddMember(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("addMember").WithTags("cluster").WithSummary("Add a voting member: caught up as a learner first; answers once it votes (admin token)")
        .Body<Member>()
        .Produces<MemberList>().Redirects()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeRemoveMember(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("removeMember").WithTags("cluster").WithSummary("Remove a voting member; answers once it no longer votes (admin token)")
        .Produces<MemberList>().Redirects()
        .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    public static RouteHandlerBuilder DescribeArticleGet(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("getArticleState").WithTags("article").WithSummary("The original article's read of key {id}")
        .Produces<ArticleState>()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .Parameters(OpenApiParts.Consistency, OpenApiParts.MinRevision);

    public static RouteHandlerBuilder DescribeArticlePut(this RouteHandlerBuilder endpoint) => endpoint
        .WithName("putArticleState").WithTags("article").WithSummary("The original article's write of key {id}")
        .Body<ArticleBody>()
        .Produces<ArticleState>().Redirects()
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType).DiskFull().Unavailable()
        .Revision("200");

    /// <summary>X-GeoLedger-Revision on the answers of an applied write (<paramref name="statuses"/>).</summary>
    private static RouteHandlerBuilder Revision(this RouteHandlerBuilder endpoint, params string[] statuses)
    {
        foreach (var status in statuses)
            endpoint.ResponseHeader(status, "X-GeoLedger-Revision", OpenApiParts.Revision);
        return endpoint;
    }

    /// <summary>307 to the leader (a write reaching a follower; never once its entry was appended).</summary>
    private static RouteHandlerBuilder Redirects(this RouteHandlerBuilder endpoint) => endpoint
        .Produces(StatusCodes.Status307TemporaryRedirect).ResponseHeader("307", "Location", OpenApiParts.Location);

    /// <summary>507 (not attempted: the leader's disk is full; Retry-After says when to try again).</summary>
    private static RouteHandlerBuilder DiskFull(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status507InsufficientStorage).ResponseHeader("507", "Retry-After", OpenApiParts.RetryAfter);

    /// <summary>503 (not attempted: no leader; retry) and 504 (outcome unknown: read before retrying).</summary>
    private static RouteHandlerBuilder Unavailable(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status504GatewayTimeout);

    /// <summary>
    /// The JSON request body, described for the document only: <c>Accepts</c> would also make routing answer a wrong
    /// Content-Type with its own bare 415, before the handler's problem that says what to send.
    /// </summary>
    private static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, token) =>
        {
            var name = typeof(T).Name;
            context.Document!.AddComponent(name, await context.GetOrCreateSchemaAsync(typeof(T), cancellationToken: token));
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference(name, context.Document) } },
            };
        });

    private static RouteHandlerBuilder Parameters(this RouteHandlerBuilder endpoint, params OpenApiParameter[] parameters) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var parameter in parameters)
                operation.Parameters.Add(parameter);
            return Task.CompletedTask;
        });

    private static RouteHandlerBuilder ResponseHeader(this RouteHandlerBuilder endpoint, string status, string name, OpenApiHeader header) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue(status, out var response) == true && response is OpenApiResponse concrete)
            {
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers[name] = header;
            }

            return Task.CompletedTask;
        });
}

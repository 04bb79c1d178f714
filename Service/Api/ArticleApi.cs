using System.Globalization;
using System.Text;
using System.Text.Json;
using GeoLedger.Auth;
using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.OpenApi;
using Microsoft.Extensions.Options;

namespace GeoLedger.Api;

/// <summary>
/// The original article's interface, kept verbatim for its readers' scripts: <c>GET /{id}</c> and
/// <c>PUT /{id}</c> with <c>{"state": "..."}</c>, answering
/// <c>{"leader", "current", "id", "state"}</c>. It maps onto the key <c>{id}</c>. An id has one spelling, its plain
/// decimal (<c>/1</c>, <c>/-5</c>); <c>/0001</c>, <c>/+1</c> and <c>/%31</c> are 404, not aliases of <c>/1</c>.
/// </summary>
internal static class ArticleApi
{
    public static IEndpointRouteBuilder MapArticleApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/{id:int}", GetAsync).RequireAuthorization(AccessPolicies.Read).DescribeArticleGet();
        routes.MapPut("/{id:int}", PutAsync).RequireAuthorization(AccessPolicies.Write).DescribeArticlePut();
        return routes;
    }

    /// <summary><c>GET /{id}</c>: 200 with <c>state: null</c> for an id never written.</summary>
    public static async Task<IResult> GetAsync(HttpContext context, int id, LedgerStore store, ReadGate gate, ClusterView view)
    {
        if (NotCanonical(context, id) is { } notFound)
            return notFound;
        if (!RequestReader.TryReadConsistency(context, out var consistency, out var error)
            || !RevisionReads.TryRead(context, out var minRevision, out error))
            return error!;
        if (await gate.EnterAsync(context, consistency, minRevision) is { } unavailable)
            return unavailable;
        return Answer(view, id, store.Get(Key(id))?.Value);
    }

    /// <summary><c>PUT /{id}</c> with <c>{"state": "..."}</c>.</summary>
    public static async Task<IResult> PutAsync(HttpContext context, int id, LedgerWriter writer, ClusterView view, IOptions<LedgerOptions> options)
    {
        if (NotCanonical(context, id) is { } notFound)
            return notFound;
        var (value, bodyError) = await RequestReader.ReadJsonPropertyAsync(context, "state", options.Value.MaxValueBytes, static state =>
            state.ValueKind == JsonValueKind.String ? null : Problems.BadRequest("\"state\" must be a string", $"Send {{\"state\": \"...\"}}; got a JSON {state.ValueKind.ToString().ToLowerInvariant()}."));
        if (bodyError is not null)
            return bodyError;
        return await KvApi.WriteAsync(context, writer, LedgerCommand.Put(Key(id), value!), result => Answer(view, id, result.Entry!.Value));
    }

    private static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>A 404 unless the path is exactly <c>/</c> and the id's plain decimal, as sent (the route's int constraint also takes 0001, +1, %31).</summary>
    private static IResult? NotCanonical(HttpContext context, int id)
    {
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        var path = string.IsNullOrEmpty(raw) ? context.Request.Path.Value : raw.Split('?', 2)[0];
        return path == "/" + Key(id)
            ? null
            : TypedResults.Problem($"'{path}' is not how id {Key(id)} is written; use /{Key(id)}.", statusCode: StatusCodes.Status404NotFound, title: "Not found: write the id as a plain decimal number, such as /1");
    }

    private static JsonResult Answer(ClusterView view, int id, byte[]? value) => new(w =>
    {
        w.WriteStartObject();
        if (view.Leader is { } leader)
            w.WriteString("leader", leader.Public.AbsoluteUri);
        else
            w.WriteNull("leader");
        w.WriteString("current", view.Self.Public.AbsoluteUri);
        w.WriteNumber("id", id);
        w.WritePropertyName("state");
        if (value is null)
            w.WriteNullValue();
        else if (value.Length > 0 && value[0] == (byte)'"')
            w.WriteRawValue(value, skipInputValidation: true);
        else
            w.WriteStringValue(Encoding.UTF8.GetString(value)); // written through /v1 as non-string JSON: shown as its text
        w.WriteEndObject();
    });
}

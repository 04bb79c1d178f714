using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace GeoLedger.Tests.MultiNode;

/// <summary>Small typed calls against a node's /v1/kv API for the multi-node tests.</summary>
public static class KvClient
{
    public static async Task<HttpResponseMessage> PutAsync(HttpClient http, Uri node, string key, string jsonValue, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/v1/kv/" + Uri.EscapeDataString(key)))
        {
            Content = new StringContent($"{{\"value\":{jsonValue}}}", Encoding.UTF8, "application/json"),
        };
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await http.SendAsync(request);
    }

    /// <summary>GET of a key: the status and, for 200, the value's JSON text and revision.</summary>
    public static async Task<(HttpStatusCode Status, string? Value, long Revision)> GetAsync(HttpClient http, Uri node, string key, string consistency = "linearizable")
    {
        using var response = await http.GetAsync(new Uri(node, $"/v1/kv/{Uri.EscapeDataString(key)}?consistency={consistency}"));
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null, 0);
        var doc = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, doc.GetProperty("value").GetRawText(), doc.GetProperty("revision").GetInt64());
    }
}

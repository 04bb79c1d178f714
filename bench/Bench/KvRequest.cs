namespace GeoLedger.Bench;

/// <summary>One request as a system spells it; sent (and resent after a redirect) by <see cref="LoadClient"/>.</summary>
/// <param name="Method">GET, PUT or POST.</param>
/// <param name="Uri">The member's URL plus path and query.</param>
/// <param name="Body">The JSON body, or null.</param>
internal sealed record KvRequest(HttpMethod Method, Uri Uri, byte[]? Body);

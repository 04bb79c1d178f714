using System.IO.Compression;
using System.Text;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// Makes hostile requests from a seeded <see cref="Random"/>. Every write it makes (PUT, DELETE, the
/// article's PUT, in any framing) carries at least one defect that must get it refused, chosen first
/// (a key not in Unicode NFC, an article id spelled other than its plain decimal, and a Content-Encoding
/// the node does not decode are defects too);
/// the other parts are drawn freely, valid or not, so defects meet each other in every combination.
/// Reads may be valid: they change nothing either way.
/// </summary>
public sealed class HostileRequestGenerator(Random random, string writeToken, string readToken, int maxValueBytes)
{
    private static readonly string[] UnicodeSamples =
    [
        "é", "ü", "中文", "日本語", "한국어", "😀", "🏳️‍🌈", "עברית", "العربية", "e\u0301", "\u200D", "\uFEFF", "\u2028", "\u00A0", "Ω", "ß", "ﬁ", "\uFFFD", "\U0010FFFD",
    ];

    private static readonly string[] PathPunctuation = ["!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@", "-", "_", "~", "."];
    private static readonly string[] EncodedPunctuation = ["%20", "%22", "%23", "%25", "%3C", "%3E", "%3F", "%5B", "%5C", "%5D", "%5E", "%60", "%7B", "%7C", "%7D", "%2F"];
    private static readonly string[] ControlEncodings = ["%00", "%01", "%07", "%08", "%09", "%0A", "%0D", "%1B", "%1F", "%7F", "%C2%80", "%C2%85", "%C2%9F"];
    private static readonly string[] BadUtf8Encodings = ["%FF", "%FE", "%80", "%C0%AF", "%C1%BF", "%ED%A0%80", "%ED%BF%BF", "%E4%B8", "%F0%9F%98", "%F8%88%80%80%80", "%F4%90%80%80"];
    /// <summary>Text that Unicode NFC would change: a base and a mark it composes with, singletons, Hangul jamo, marks out of order.</summary>
    private static readonly string[] NotNfc = ["e\u0301", "A\u030A", "\u212B", "\u2126", "\u1100\u1161", "a\u0302\u0323", "\u0958", "n\u0303"];

    private static readonly string[] BadPercentEncodings = ["%", "%z1", "%4", "%G0", "%%41", "%-1", "% 4", "%4%"];

    private static readonly string[] BadContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
        "application/json; charset=latin1", "application/json; charset=\"utf-16le\"", "application/jsonx", "application/ld+json", "json", "*/*",
        "application/*", ";;;", "application/octet-stream", "text/json; charset=utf-8", "application/json; charset=utf-32",
    ];

    private static readonly string[] AcceptedContentTypes = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json; charset=UTF-8", "application/json; foo=bar"];

    /// <summary>Bodies the service must refuse whatever else the request carries (each is not <c>{"value": json}</c>).</summary>
    private static readonly string[] MalformedBodies =
    [
        "", " ", "{", "}", "{\"value\":", "{\"value\":1", "{value:1}", "{'value':1}", "{\"value\":1,}", "{\"value\":01}", "{\"value\":NaN}",
        "{\"value\":Infinity}", "{\"value\":-Infinity}", "{\"value\":undefined}", "{\"value\":1}{}", "{\"value\":1} x", "[1]", "\"value\"", "42", "null", "true",
        "{\"value\":1,\"value\":2}", "{\"value\":1,\"other\":2}", "{\"Value\":1}", "{\"VALUE\":1}", "{}", "{\"value\":\"\\x\"}", "{\"value\":/*c*/1}",
        "{\"value\":1}//c", "{\"value\":\"a\nb\"}", "{\"value\":\"\\ud800\"}", "{\"value\":\"\\udc00x\"}", "{\"value\":{\"\\ud800\":1}}", "{\"value\":[\"ok\",\"\\ud83d\"]}",
        "{\"value\":\"\\ud800\\u0041\"}", "{\"value\":-}", "{\"value\":.5}", "{\"value\":+1}", "{\"value\":0x10}", "{\"value\":tru}",
        "{\"value\":[1,2}", "{\"value\":{\"a\":1]}", "{\"value\":\"unterminated}", "{\"value\":1,\"\":2}", "{\"state\":\"x\"}", "{\"\\ud800\":1}", "{\"value\":1,\"\\udc00\":2}",
    ];

    private static readonly string[] BadIfMatch = ["3", "W/\"3\"", "\"0\"", "\"-1\"", "\"abc\"", "\"1\", \"2\"", "\"99999999999999999999\"", "", "\"\"", "\"1", "1\"", "* , *", "\" 1\"", "\"1.0\""];
    private static readonly string[] BadIfNoneMatchOnPut = ["\"3\"", "*, \"1\"", "W/\"1\"", "", "**", "\"*\""];

    public string WriteToken => writeToken;

    /// <summary>A hostile request for the HttpClient or raw-socket senders (never a slow one).</summary>
    public HostileRequest Next() => random.Next(100) switch
    {
        < 22 => ClientPut(),
        < 32 => ClientDelete(),
        < 38 => ClientArticlePut(),
        < 43 => ClientOtherMethod(),
        < 63 => ClientRead(),
        _ => Raw(),
    };

    /// <summary>A slow request: its body or its headers trickle in a byte at a time.</summary>
    public RawRequest NextSlow(TimeSpan trickle, TimeSpan pause)
    {
        var bytes = (int)(trickle / pause);
        if (random.Next(2) == 0)
        {
            // Body trickled: a good token and key, a body that can never parse (an array never closed).
            var key = ValidKey();
            var body = Encoding.UTF8.GetBytes("{\"value\":[" + string.Join(",", Enumerable.Range(0, bytes).Select(i => i % 10)) + "}");
            var head = Head("PUT", "/v1/kv/" + key, [Auth(writeToken), ("Content-Type", "application/json"), ("Content-Length", body.Length.ToString()), ("Connection", "close")]);
            var segments = new List<RawSegment> { new(head, TimeSpan.Zero) };
            segments.AddRange(Trickle(body, bytes, pause));
            return new RawRequest("slow-body", $"PUT /v1/kv/{key} with an unclosed JSON array trickled over {trickle.TotalSeconds:0} s", true, segments);
        }
        else
        {
            var key = AnyKey(forRaw: true);
            var request = Http1("PUT", "/v1/kv/" + key, [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close")], "{\"value\":1}"u8.ToArray());
            return new RawRequest("slow-headers", $"PUT /v1/kv/{key} with a bad token, request trickled over {trickle.TotalSeconds:0} s", true, Trickle(request, bytes, pause).ToList());
        }
    }

    // ---------- HttpClient requests ----------

    private ClientRequest ClientPut()
    {
        var defect = random.Next(9);
        var headers = new List<KeyValuePair<string, string>>();
        var auth = defect == 0 || random.Next(5) == 0 ? BadAuthHeader(forWrite: true) : Auth(writeToken);
        if (auth.Value is not null)
            headers.Add(new(auth.Name, auth.Value));
        var key = defect == 1 ? InvalidKey(forRaw: false) : (random.Next(4) == 0 ? InvalidKey(forRaw: false) : ValidKey());
        var preconditions = defect == 2 ? BadPreconditions(forPut: true) : AnyPreconditions(forPut: true);
        headers.AddRange(preconditions);
        string? contentType;
        if (defect == 3)
            contentType = random.Next(6) == 0 ? null : Pick(BadContentTypes);
        else
            contentType = random.Next(8) == 0 ? Pick(BadContentTypes) : Pick(AcceptedContentTypes);
        string bodyKind;
        byte[] body;
        string? encoding = null;
        switch (defect)
        {
            case 4:
                (bodyKind, body, encoding) = MalformedBody();
                break;
            case 5:
                (bodyKind, body) = DeepBody();
                break;
            case 6:
                (bodyKind, body) = TooLargeValue();
                break;
            case 7:
                (bodyKind, body) = HugeBody();
                break;
            case 8:
                (bodyKind, body) = ("valid", ValidBody("value"));
                encoding = Pick(["gzip", "br", "deflate", "compress", "x-custom", "identity, gzip", "GZIP"]);
                break;
            default:
                (bodyKind, body) = random.Next(3) == 0 ? ("malformed", MalformedBody().Body) : ("valid", ValidBody("value"));
                break;
        }

        var chunked = random.Next(4) == 0;
        var description = $"PUT /v1/kv/{Shorten(key)} defect={DefectName(defect)} auth={Describe(auth)} pre=[{string.Join(";", preconditions.Select(p => p.Key + ":" + p.Value))}] ct={contentType ?? "none"} body={bodyKind}({body.Length} B){(chunked ? " chunked" : "")}{(encoding is null ? "" : " enc=" + encoding)}";
        return new ClientRequest("put-" + DefectName(defect), description, true, "PUT", "/v1/kv/" + key + MaybeQuery(), headers, body, contentType, chunked, encoding);
    }

    private ClientRequest ClientDelete()
    {
        var defect = random.Next(3);
        var headers = new List<KeyValuePair<string, string>>();
        var auth = defect == 0 || random.Next(5) == 0 ? BadAuthHeader(forWrite: true) : Auth(writeToken);
        if (auth.Value is not null)
            headers.Add(new(auth.Name, auth.Value));
        var key = defect == 1 ? InvalidKey(forRaw: false) : (random.Next(4) == 0 ? InvalidKey(forRaw: false) : ValidKey());
        var preconditions = defect == 2 ? BadPreconditions(forPut: false) : AnyPreconditions(forPut: false);
        headers.AddRange(preconditions);
        var body = random.Next(4) == 0 ? ValidBody("value") : null;
        var description = $"DELETE /v1/kv/{Shorten(key)} defect={DefectName(defect)} auth={Describe(auth)} pre=[{string.Join(";", preconditions.Select(p => p.Key + ":" + p.Value))}]";
        return new ClientRequest("delete-" + DefectName(defect), description, true, "DELETE", "/v1/kv/" + key, headers, body, body is null ? null : "application/json");
    }

    private ClientRequest ClientArticlePut()
    {
        var defect = random.Next(4);
        var headers = new List<KeyValuePair<string, string>>();
        var auth = defect == 0 || random.Next(5) == 0 ? BadAuthHeader(forWrite: true) : Auth(writeToken);
        if (auth.Value is not null)
            headers.Add(new(auth.Name, auth.Value));
        var contentType = defect == 1 ? Pick(BadContentTypes) : Pick(AcceptedContentTypes);
        byte[] body = defect == 2 || random.Next(3) == 0
            ? Encoding.UTF8.GetBytes(Pick(["{\"state\":1}", "{\"state\":null}", "{\"state\":[\"a\"]}", "{\"state\":{}}", "{\"state\":\"x\",\"y\":1}", "{\"value\":\"x\"}", "{\"state\":\"\\ud800\"}", "{\"state\":\"a\\udc00\"}", .. MalformedBodies.Where(b => !b.StartsWith("{\"state\":\"", StringComparison.Ordinal))]))
            : Encoding.UTF8.GetBytes("{\"state\":\"" + Pick(["hello", "é", "😀", "\\\"quoted\\\"", "line\\nbreak"]) + "\"}");
        var id = defect == 3 ? Pick(["0001", "+1", "%31", "01", "+0", "-0", "007", "%2B7"]) : Pick(["1", "7", "0", "-5", "2147483647", "-2147483648", "42"]);
        var description = $"PUT /{id} defect={(defect == 0 ? "auth" : defect == 1 ? "content-type" : defect == 2 ? "body" : "id-spelling")} auth={Describe(auth)} ct={contentType} body={Encoding.UTF8.GetString(body)}";
        return new ClientRequest("article-put", description, true, "PUT", "/" + id, headers, body, contentType);
    }

    private ClientRequest ClientOtherMethod()
    {
        var method = Pick(["POST", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "FOO", "LINK", "QUERY"]);
        var body = method == "TRACE" ? null : ValidBody("value"); // HttpClient sends no body with TRACE
        var path = Pick(["/v1/kv/" + ValidKey(), "/v1/kv", "/v1/kv/", "/1", "/v1/cluster", "/readyz"]);
        List<KeyValuePair<string, string>> headers = [new("Authorization", "Bearer " + writeToken)];
        return new ClientRequest("other-method", $"{method} {Shorten(path)} with a write token and a valid body", true, method, path, headers, body, body is null ? null : "application/json");
    }

    private ClientRequest ClientRead()
    {
        var headers = new List<KeyValuePair<string, string>>();
        var authKind = random.Next(10);
        (string Name, string? Value) auth = authKind < 4 ? Auth(readToken) : authKind < 5 ? Auth(writeToken) : BadAuthHeader(forWrite: false);
        if (auth.Value is not null)
            headers.Add(new(auth.Name, auth.Value));
        string path;
        switch (random.Next(6))
        {
            case 0:
            case 1:
                path = "/v1/kv/" + AnyKey(forRaw: false, allowDots: true) + MaybeQuery();
                if (random.Next(4) == 0)
                    headers.Add(new("If-None-Match", Pick(["\"1\"", "*", "W/\"2\"", "\"x\"", "", "\"1\", \"2\""])));
                break;
            case 2:
                path = "/v1/kv" + ListQuery();
                break;
            case 3:
                path = Pick(["/v1/cluster", "/healthz", "/readyz", "/v1/cluster?x=%00", "/readyz?consistency=bogus"]);
                break;
            case 4:
                path = "/" + Pick(["1", "7", "-3", "2147483648", "abc", "1.5", "%31", "0x10"]) + MaybeQuery();
                break;
            default:
                path = Pick(["/", "/v1", "/v2/kv/x", "/v1/kv/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/v1//kv/x", "/V1/KV/x", "/v1/kv?", "/v1/kv/x?%", "/v1/kv/x?a=%zz", "/v1/kv/x#frag", "/" + new string('a', 4000)]);
                break;
        }

        var method = random.Next(6) == 0 ? "HEAD" : "GET";
        return new ClientRequest("read", $"{method} {Shorten(path)} auth={Describe(auth)}", false, method, path, headers, null, null);
    }

    // ---------- raw-socket requests ----------

    private RawRequest Raw()
    {
        var validBody = ValidBody("value");
        switch (random.Next(19))
        {
            case 0:
            {
                var key = ValidKey() + Pick(BadPercentEncodings) + (random.Next(2) == 0 ? "_" + ValidKey() : ""); // "_": what follows must not complete the escape
                var bytes = Http1("PUT", "/v1/kv/" + key, [Auth(writeToken), ("Content-Type", "application/json"), ("Connection", "close")], validBody);
                return Once("raw-bad-percent-encoding", $"PUT /v1/kv/{Shorten(key)} with a good token and body", true, bytes);
            }
            case 1:
            {
                var target = "/v1/kv/" + ValidKey();
                var bad = Pick(["caf\u00C3\u00A9", "\u00FF\u00FE", "a\u0000b", "a b", "a\tb", "\u0080", "a\u007Fb", "<script>", "a\"b", "{}", "a|b", "a\\b"]);
                var bytes = Http1("PUT", target + bad, [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close")], validBody);
                return Once("raw-bad-path-bytes", $"PUT {Shorten(target)} + raw bytes {Escape(bad)} with a bad token", true, bytes);
            }
            case 2:
            {
                var bad = Pick(["Bearer " + writeToken[..4] + "\u0000" + writeToken[4..], "Bearer " + writeToken + "\u007F", "Bearer " + writeToken + "\u00FF", "Bearer \u00E9" + writeToken, "Bearer " + writeToken[..^1] + "\u0085", "Bearer\u0000" + writeToken]);
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), [("Authorization", bad), ("Content-Type", "application/json"), ("Connection", "close")], validBody);
                return Once("raw-bad-header-bytes", $"PUT with Authorization {Escape(bad.Replace(writeToken, "<write-token>"))}", true, bytes);
            }
            case 3:
            {
                var line = Pick(["X-Bad: a\u0000b", "X-Bad: a\rb", "X-B\u00E4d: 1", "X Bad: 1", "X-Bad : 1", ": empty-name", "X-Bad", "X-Bad: 1\r\n folded", "X-Bad: \u00FF\u00FE", "(X): 1", "X-Bad:\u0001"]);
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close")], validBody, extraRawHeaderLine: line);
                return Once("raw-bad-header-syntax", $"PUT with a bad token and header line {Escape(line)}", true, bytes);
            }
            case 4:
            {
                // Content-Length promises more than is sent, then the client half-closes: the body can never be complete.
                var key = ValidKey();
                var sent = random.Next(0, validBody.Length + 1);
                var promised = validBody.Length + 1 + random.Next(1000);
                var head = Head("PUT", "/v1/kv/" + key, [Auth(writeToken), ("Content-Type", "application/json"), ("Content-Length", promised.ToString()), ("Connection", "close")]);
                return Once("raw-truncated-body", $"PUT /v1/kv/{Shorten(key)} Content-Length {promised}, {sent} bytes sent then half-close", true, [.. head, .. validBody[..sent]]) with { CloseSendSide = true };
            }
            case 5:
            {
                // Content-Length shorter than the body: what is read is a proper prefix of a compact JSON object, never valid.
                var key = ValidKey();
                var declared = random.Next(0, validBody.Length);
                var head = Head("PUT", "/v1/kv/" + key, [Auth(writeToken), ("Content-Type", "application/json"), ("Content-Length", declared.ToString()), ("Connection", "close")]);
                return Once("raw-short-content-length", $"PUT /v1/kv/{Shorten(key)} Content-Length {declared} for a {validBody.Length}-byte body", true, [.. head, .. validBody]);
            }
            case 6:
            {
                var lengths = Pick<string[]>([["abc"], ["-1"], ["1.5"], ["0x10"], ["11", "12"], ["99999999999999999999"], ["1e3"], [""], ["12 13"], ["٣"]]);
                var headers = new List<(string, string?)> { Auth(writeToken), ("Content-Type", "application/json"), ("Connection", "close") };
                headers.AddRange(lengths.Select(l => ("Content-Length", (string?)l)));
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), headers, validBody, contentLength: false);
                return Once("raw-bad-content-length", $"PUT with Content-Length {string.Join(" and ", lengths)}", true, bytes);
            }
            case 7:
            {
                // Chunked framing gone wrong; the chunk data is malformed JSON too, so no reading of it is a valid write.
                var data = Pick(MalformedBodies.Where(b => b.Length > 0).ToArray());
                var size = Encoding.UTF8.GetByteCount(data).ToString("x");
                var framing = Pick([$"zz\r\n{data}\r\n0\r\n\r\n", $"{size}\r\n{data}", $"{size};ext=\u0001\r\n{data}\r\n0\r\n\r\n", $"FFFFFFFFFFFFFFFFFF\r\n{data}\r\n0\r\n\r\n", $"{size}\r\n{data}XX\r\n0\r\n\r\n", $"-1\r\n{data}\r\n0\r\n\r\n", $"{size}\n{data}\n0\n\n", $"{size}\r\n{data}\r\n0\r\nTrailer: \u0000\r\n\r\n"]);
                var head = Head("PUT", "/v1/kv/" + ValidKey(), [Auth(writeToken), ("Content-Type", "application/json"), ("Transfer-Encoding", Pick(["chunked", "gzip, chunked", "chunked, chunked", "identity", "gzip", "Chunked", "chunked;q=1"])), ("Connection", "close")]);
                // Framing that never ends leaves Kestrel waiting for more: those are half-closed.
                return Once("raw-bad-chunked", $"PUT chunked framing {Escape(framing)}", true, [.. head, .. Encoding.UTF8.GetBytes(framing)]) with { CloseSendSide = !framing.EndsWith("\n\n", StringComparison.Ordinal) };
            }
            case 8:
            {
                var data = Pick(MalformedBodies.Where(b => b.Length > 0).ToArray());
                var chunk = $"{Encoding.UTF8.GetByteCount(data):x}\r\n{data}\r\n0\r\n\r\n";
                var head = Head("PUT", "/v1/kv/" + ValidKey(), [Auth(writeToken), ("Content-Type", "application/json"), ("Content-Length", random.Next(0, 40).ToString()), ("Transfer-Encoding", "chunked"), ("Connection", "close")]);
                return Once("raw-te-and-cl", $"PUT with Transfer-Encoding and Content-Length, malformed body {Escape(data)}", true, [.. head, .. Encoding.UTF8.GetBytes(chunk)]);
            }
            case 9:
            {
                var auth = BadAuthHeader(forWrite: true);
                var authLine = auth.Value is null ? "" : $"{auth.Name}: {auth.Value}\r\n";
                var line = Pick([
                    "GARBAGE", "GET", "PUT  /v1/kv/x  HTTP/1.1", "PUT /v1/kv/x HTTP/1.1 extra", "put /v1/kv/x HTTP/1.1", "PUT /v1/kv/x", "HTTP/1.1 200 OK",
                    "PUT\t/v1/kv/x\tHTTP/1.1", " PUT /v1/kv/x HTTP/1.1", "PUT v1/kv/x HTTP/1.1", "PUT http://127.0.0.1/v1/kv/x HTTP/1.1", "OPTIONS * HTTP/1.1",
                    "CONNECT 127.0.0.1:1 HTTP/1.1", "PUT /v1/kv/x HTTP/1.1\u0000", "\u0000\u0001\u0002", "PUT /v1/kv/" + new string('k', 9000) + " HTTP/1.1",
                    "PUT /v1/kv/x?" + new string('q', 20000) + " HTTP/1.1", "P\u00DCT /v1/kv/x HTTP/1.1", "PUT /v1/kv/x HTTP/1.1\r",
                ]);
                var text = $"{line}\r\nHost: 127.0.0.1\r\n{authLine}Content-Type: application/json\r\nContent-Length: {validBody.Length}\r\nConnection: close\r\n\r\n";
                return Once("raw-bad-request-line", $"request line {Escape(Shorten(line))} with a bad token", true, [.. Encoding.Latin1.GetBytes(text), .. validBody]);
            }
            case 10:
            {
                var version = Pick(["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3", "HTTP/1.10", "HTTPS/1.1", "http/1.1", "HTTP/11"]);
                var text = $"PUT /v1/kv/{ValidKey()} {version}\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {validBody.Length}\r\nConnection: close\r\n\r\n";
                return Once("raw-bad-version", $"PUT without a token claiming {version}", true, [.. Encoding.Latin1.GetBytes(text), .. validBody]) with { MayAnswerVersionNotSupported = true };
            }
            case 11:
            {
                var hosts = Pick<string[]>([[], ["127.0.0.1", "example.com"], [""], ["a b"], ["127.0.0.1:99999"], ["[::1"]]);
                var headers = new List<(string, string?)> { BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close") };
                headers.AddRange(hosts.Select(h => ("Host", (string?)h)));
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), headers, validBody, host: false);
                return Once("raw-bad-host", $"PUT with a bad token and Host [{string.Join(", ", hosts)}]", true, bytes);
            }
            case 12:
            {
                var headers = new List<(string, string?)> { BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close") };
                var many = random.Next(2) == 0;
                if (many)
                    headers.AddRange(Enumerable.Range(0, 100 + random.Next(200)).Select(i => ($"X-H{i}", (string?)"v")));
                else
                    headers.Add(("X-Big", new string('b', 33 * 1024 + random.Next(40 * 1024))));
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), headers, validBody);
                return Once("raw-header-limits", many ? $"PUT with {headers.Count} headers and a bad token" : "PUT with a header over 32 KB and a bad token", true, bytes);
            }
            case 13:
            {
                var lineEnd = Pick(["\n", "\r", "\n\r"]);
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Connection", "close")], validBody, lineEnd: lineEnd);
                // With bare CRs no line ever ends, so Kestrel waits for one: half-close.
                return Once("raw-line-endings", $"PUT with line ends {Escape(lineEnd)} and a bad token", true, bytes) with { CloseSendSide = lineEnd == "\r" };
            }
            case 14:
            {
                var head = Head("PUT", "/v1/kv/" + ValidKey(), [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), ("Content-Length", validBody.Length.ToString()), ("Expect", Pick(["100-continue", "100-Continue", "fancy-feature", ""])), ("Connection", "close")]);
                return Once("raw-expect", "PUT with Expect and a bad token, body sent regardless", true, [.. head, .. validBody]);
            }
            case 15:
            {
                // Several requests in one write; the last asks to close. Each is refused on its own.
                var count = 2 + random.Next(4);
                var all = new List<byte>();
                for (var i = 0; i < count; i++)
                {
                    var last = i == count - 1;
                    var method = random.Next(2) == 0 ? "PUT" : "DELETE";
                    var kind = random.Next(method == "PUT" ? 3 : 2); // a DELETE ignores its body, so a bad body is no defect there
                    var key = kind == 1 ? InvalidKey(forRaw: true) : ValidKey();
                    (string, string?) auth = kind == 0 ? BadAuthHeader(forWrite: true) : Auth(writeToken);
                    var body = kind == 2 ? Encoding.UTF8.GetBytes(Pick(MalformedBodies)) : validBody;
                    all.AddRange(Http1(method, "/v1/kv/" + key, [auth, ("Content-Type", "application/json"), ("Connection", last ? "close" : "keep-alive")], body));
                }

                return Once("raw-pipelined", $"{count} refused writes pipelined on one connection", true, [.. all]);
            }
            case 16:
            {
                var bytes = Encoding.Latin1.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").Concat(RandomBytes(random.Next(0, 64))).ToArray();
                return Once("raw-h2-preface", "HTTP/2 prior-knowledge preface on the HTTP/1 port, then junk", false, bytes) with { MayAnswerVersionNotSupported = true, CloseSendSide = true };
            }
            case 17:
            {
                var upgrade = Pick<(string, string?)[]>([
                    [("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings, close"), ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")],
                    [("Upgrade", "websocket"), ("Connection", "Upgrade, close"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")],
                    [("Upgrade", "\u0000"), ("Connection", "Upgrade, close")],
                ]);
                var bytes = Http1("PUT", "/v1/kv/" + ValidKey(), [BadAuthHeader(forWrite: true), ("Content-Type", "application/json"), .. upgrade], validBody);
                return Once("raw-upgrade", $"PUT with a bad token asking to upgrade to {upgrade[0].Item2}", true, bytes);
            }
            default:
            {
                var bytes = RandomBytes(1 + random.Next(2048));
                return Once("raw-random-bytes", $"{bytes.Length} random bytes", false, bytes) with { CloseSendSide = true };
            }
        }
    }

    // ---------- parts ----------

    private (string Name, string? Value) Auth(string token) => ("Authorization", "Bearer " + token);

    /// <summary>An Authorization header (or none: Value null) that never grants a write, nor a read when <paramref name="forWrite"/> is false.</summary>
    private (string Name, string? Value) BadAuthHeader(bool forWrite)
    {
        var choices = new List<string?>
        {
            null, "", "Bearer", "Bearer ", "Bearer  ", "Basic dXNlcjpwYXNz", "Token " + writeToken, writeToken, "Bearer " + writeToken + "x", "Bearer " + writeToken[1..],
            "Bearer " + writeToken.ToUpperInvariant(), "Bearer " + writeToken + " " + writeToken, "Bearer " + new string('t', 10_000), "Bearer" + writeToken,
            "Bearer " + Convert.ToBase64String(RandomBytes(24)), "Bearer " + readToken + writeToken, "Negotiate " + writeToken, "Bearer \"" + writeToken + "\"",
        };
        if (forWrite)
            choices.Add("Bearer " + readToken); // a read token on a write: 403
        return ("Authorization", Pick(choices.ToArray()));
    }

    private static string Describe((string Name, string? Value) auth) => auth.Value is null ? "none" : Shorten(auth.Value, 40);

    /// <summary>A valid key, percent-encoded for a path; never a "." or ".." segment (Kestrel would remove it and change the route).</summary>
    private string ValidKey()
    {
        string key;
        switch (random.Next(7))
        {
            case 0:
                return RandomAscii(1 + random.Next(40), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~");
            case 1:
                key = string.Concat(Enumerable.Range(0, 1 + random.Next(8)).Select(_ => random.Next(2) == 0 ? Pick(PathPunctuation) : Pick(EncodedPunctuation)));
                break;
            case 2:
                key = string.Join(Pick(["/", "%2F", "//"]), Enumerable.Range(0, 1 + random.Next(5)).Select(_ => RandomAscii(1 + random.Next(6), "abcxyz019")));
                if (random.Next(3) == 0)
                    key += "/";
                if (random.Next(3) == 0)
                    key = "%2F" + key;
                return key;
            case 3:
                return Uri.EscapeDataString(string.Concat(Enumerable.Range(0, 1 + random.Next(5)).Select(_ => Pick(UnicodeSamples))).Normalize(NormalizationForm.FormC));
            case 4:
                return RandomAscii(900 + random.Next(125), "abcdefghijklmnopqrstuvwxyz0123456789");
            case 5:
                return Uri.EscapeDataString(new string('é', 1 + random.Next(512)));
            default:
                key = Uri.EscapeDataString(RandomText(1 + random.Next(30)).Normalize(NormalizationForm.FormC));
                break;
        }

        return NoDotSegments(key);
    }

    /// <summary>A key the service must refuse; <paramref name="forRaw"/> adds encodings HttpClient cannot send.</summary>
    private string InvalidKey(bool forRaw)
    {
        var valid = random.Next(3) == 0 ? "" : RandomAscii(1 + random.Next(10), "abc012");
        switch (random.Next(forRaw ? 6 : 5))
        {
            case 0:
                return "";
            case 1:
                return random.Next(2) == 0 ? RandomAscii(1025 + random.Next(2000), "abcdef") : Uri.EscapeDataString(new string('é', 513 + random.Next(200)));
            case 2:
                return valid + Pick(ControlEncodings) + valid;
            case 3:
                return valid + Pick(BadUtf8Encodings) + valid;
            case 4:
                return valid + Uri.EscapeDataString(Pick(NotNfc)) + valid;
            default:
                return valid + Pick(BadPercentEncodings) + "_" + valid; // "_": "%4" followed by "1" would be a valid "%41"
        }
    }

    private string AnyKey(bool forRaw, bool allowDots = false)
    {
        if (random.Next(3) == 0)
            return InvalidKey(forRaw);
        var key = ValidKey();
        return allowDots && random.Next(8) == 0 ? Pick(["..", ".", "a/../b", "%2E%2E", "./" + key, key + "/.."]) : key;
    }

    private static string NoDotSegments(string key) =>
        string.Join("/", key.Split('/').Select(s => s.Length > 0 && s.All(c => c == '.') ? s + "x" : s));

    private List<KeyValuePair<string, string>> BadPreconditions(bool forPut)
    {
        var pick = random.Next(forPut ? 3 : 4);
        return pick switch
        {
            0 => [new("If-Match", Pick(["\"1\"", "*", .. BadIfMatch])), new("If-None-Match", Pick(["*", "\"1\""]))],
            1 => [new("If-Match", Pick(BadIfMatch))],
            2 when forPut => [new("If-None-Match", Pick(BadIfNoneMatchOnPut))],
            _ => [new("If-None-Match", Pick(["*", "\"1\"", ""]))], // DELETE takes no If-None-Match at all
        };
    }

    private List<KeyValuePair<string, string>> AnyPreconditions(bool forPut) => random.Next(5) switch
    {
        0 => BadPreconditions(forPut),
        1 when forPut => [new("If-None-Match", "*")],
        2 => [new("If-Match", Pick(["\"1\"", "\"2\"", "*"]))],
        _ => [],
    };

    private byte[] ValidBody(string property) => Encoding.UTF8.GetBytes($"{{\"{property}\":{RandomJson(0)}}}");

    private string RandomJson(int depth) => random.Next(depth > 3 ? 5 : 8) switch
    {
        0 => random.Next(-1000, 1000).ToString(),
        1 => Pick(["true", "false", "null", "0", "-0", "1e10", "3.14159", "-1.5E-7", "123456789012345678901234567890"]),
        2 => System.Text.Json.JsonSerializer.Serialize(RandomText(random.Next(20))),
        3 => "\"\\u00e9\\n\\t\\\"\\\\\\/\\ud83d\\ude00\"",
        4 => "\"" + RandomAscii(random.Next(30), "abc xyz") + "\"",
        5 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(i => $"\"k{i}\":{RandomJson(depth + 1)}")) + "}",
    };

    private (string Kind, byte[] Body, string? Encoding) MalformedBody()
    {
        switch (random.Next(6))
        {
            case 0:
                return ("utf16", System.Text.Encoding.Unicode.GetPreamble().Concat(System.Text.Encoding.Unicode.GetBytes("{\"value\":1}")).ToArray(), null);
            case 1:
                return ("bom+malformed", [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(Pick(MalformedBodies))], null);
            case 2:
            {
                using var compressed = new MemoryStream();
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
                    gzip.Write(ValidBody("value"));
                return ("gzip", compressed.ToArray(), "gzip");
            }
            case 3:
                return ("invalid-utf8", [.. "{\"value\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8], null);
            case 4:
                return ("random-bytes", RandomBytes(1 + random.Next(512)), null);
            default:
                var text = Pick(MalformedBodies);
                return ("malformed:" + Shorten(text, 30), System.Text.Encoding.UTF8.GetBytes(text), null);
        }
    }

    private (string Kind, byte[] Body) DeepBody()
    {
        var depth = 64 + random.Next(random.Next(2) == 0 ? 10 : 60_000);
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var text = "{\"value\":" + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + "}";
        return ($"deep({depth})", Encoding.UTF8.GetBytes(text));
    }

    private (string Kind, byte[] Body) TooLargeValue()
    {
        var length = maxValueBytes - 1 + random.Next(1, 3 * maxValueBytes);
        return ($"value-too-large({length + 2})", Encoding.UTF8.GetBytes("{\"value\":\"" + new string('v', length) + "\"}"));
    }

    private (string Kind, byte[] Body) HugeBody()
    {
        var length = 1024 * 1024 * (1 + random.Next(8));
        var body = new byte[length];
        "{\"value\":\""u8.CopyTo(body);
        body.AsSpan(10, length - 12).Fill((byte)'h');
        "\"}"u8.CopyTo(body.AsSpan(length - 2));
        return ($"huge({length / 1024 / 1024} MiB)", body);
    }

    private string MaybeQuery() => random.Next(3) switch
    {
        0 => "",
        1 => "?consistency=" + Pick(["linearizable", "local", "LOCAL", "Local", "", "foo", "local&consistency=local", "%00", "l%C3%B6cal", "local%20", "linearizable;local", "%zz", new string('l', 3000)]),
        _ => "?" + Pick(["a=1", "=", "&&&", "consistency", "x=%ZZ", "a=%00", "%%%", "a[b]=c", "a=1&a=2"]),
    };

    private string ListQuery()
    {
        var parts = new List<string>();
        if (random.Next(2) == 0)
            parts.Add("prefix=" + Pick(["", "a", "%00", "%FF", "%ED%A0%80", Uri.EscapeDataString(RandomText(5)), new string('p', 1100), "%2F"]));
        if (random.Next(2) == 0)
            parts.Add("limit=" + Pick(["0", "1", "1000", "1001", "-1", "abc", "99999999999", "1.5", "", "%31", "2147483648", " 5"]));
        if (random.Next(2) == 0)
            parts.Add("after=" + Pick(["", "a", "%00", "zzz", Uri.EscapeDataString(RandomText(5)), new string('a', 1100)]));
        if (random.Next(4) == 0)
            parts.Add("consistency=" + Pick(["local", "bogus", ""]));
        if (random.Next(6) == 0)
            parts.Add(parts.Count > 0 ? parts[0] : "limit=1");
        return parts.Count == 0 ? Pick(["", "?"]) : "?" + string.Join("&", parts);
    }

    private IEnumerable<RawSegment> Trickle(byte[] bytes, int slowBytes, TimeSpan pause)
    {
        var slow = Math.Min(slowBytes, bytes.Length - 1);
        for (var i = 0; i < slow; i++)
            yield return new RawSegment([bytes[i]], pause);
        yield return new RawSegment(bytes[slow..], TimeSpan.Zero);
    }

    private static RawRequest Once(string cls, string description, bool isWrite, byte[] bytes) => new(cls, description, isWrite, [new RawSegment(bytes, TimeSpan.Zero)]);

    private byte[] Head(string method, string target, IEnumerable<(string Name, string? Value)> headers) =>
        Encoding.Latin1.GetBytes($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(headers.Where(h => h.Value is not null).Select(h => $"{h.Name}: {h.Value}\r\n")) + "\r\n");

    /// <summary>An HTTP/1.1 request in Latin-1 bytes (so any char up to U+00FF becomes that byte).</summary>
    private static byte[] Http1(string method, string target, IEnumerable<(string Name, string? Value)> headers, byte[] body, string lineEnd = "\r\n", bool contentLength = true, bool host = true, string? extraRawHeaderLine = null)
    {
        var text = new StringBuilder($"{method} {target} HTTP/1.1{lineEnd}");
        if (host)
            text.Append("Host: 127.0.0.1").Append(lineEnd);
        foreach (var (name, value) in headers)
        {
            if (value is not null)
                text.Append(name).Append(": ").Append(value).Append(lineEnd);
        }

        if (extraRawHeaderLine is not null)
            text.Append(extraRawHeaderLine).Append(lineEnd);
        if (contentLength)
            text.Append("Content-Length: ").Append(body.Length).Append(lineEnd);
        text.Append(lineEnd);
        return [.. Encoding.Latin1.GetBytes(text.ToString()), .. body];
    }

    private string RandomAscii(int length, string alphabet) => string.Create(length, (random, alphabet), static (span, s) =>
    {
        for (var i = 0; i < span.Length; i++)
            span[i] = s.alphabet[s.random.Next(s.alphabet.Length)];
    });

    /// <summary>Text from every class of character a key may hold: ASCII, punctuation, BMP, astral, format characters.</summary>
    private string RandomText(int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            var codePoint = random.Next(6) switch
            {
                0 => random.Next(0x20, 0x7F),
                1 => random.Next(0xA0, 0x800),
                2 => random.Next(0x800, 0xD800),
                3 => random.Next(0xE000, 0xFFFE),
                4 => random.Next(0x10000, 0x110000),
                _ => Pick([0x2028, 0x200B, 0x200D, 0xFEFF, 0x202E, 0x0301, 0x1F600]),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];

    private static string DefectName(int defect) => defect switch
    {
        8 => "content-encoding",
        0 => "auth",
        1 => "key",
        2 => "precondition",
        3 => "content-type",
        4 => "body",
        5 => "deep-json",
        6 => "value-too-large",
        _ => "huge-body",
    };

    private static string Shorten(string text, int max = 80) => text.Length <= max ? text : text[..max] + $"…({text.Length} chars)";

    private static string Escape(string text) => string.Concat(text.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));
}

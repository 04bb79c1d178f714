using System.Text.Json;
using GeoLedger.Ledger;
using GeoLedger.Ledger.Transactions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GeoLedger.Api;

/// <summary>
/// Turns a <c>POST /v1/txn</c> body into a <see cref="TransactionCommand"/>, or into the 4xx problem that names the
/// part to fix (such as <c>success[2].put.key</c>).
/// </summary>
internal sealed class TxnRequestParser(LedgerOptions options)
{
    /// <summary>The body's shape, for the answer to malformed JSON.</summary>
    public const string Shape = "{\"compare\": [...], \"success\": [...], \"failure\": [...]}";

    private sealed class InvalidTxn(IResult problem) : Exception
    {
        public IResult Problem { get; } = problem;
    }

    /// <summary>The transaction, or the problem to answer.</summary>
    public (TransactionCommand? Command, IResult? Error) Parse(JsonElement root)
    {
        try
        {
            var command = ParseBody(root);
            if (command.EncodedLength > options.MaxTxnBytes)
                return (null, Problems.TooLarge("Transaction too large: split it or send smaller values", $"The transaction is {command.EncodedLength} bytes of keys and values; the limit (Ledger:MaxTxnBytes) is {options.MaxTxnBytes}."));
            return (command, null);
        }
        catch (InvalidTxn e)
        {
            return (null, e.Problem);
        }
        catch (InvalidOperationException)
        {
            return (null, RequestReader.LoneSurrogate);
        }
    }

    private TransactionCommand ParseBody(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Bad("Body must be a JSON object: " + Shape, $"The body is a JSON {Kind(root)}.");
        JsonElement? compare = null, success = null, failure = null;
        foreach (var property in root.EnumerateObject())
        {
            ref var slot = ref compare;
            if (property.NameEquals("success"))
                slot = ref success;
            else if (property.NameEquals("failure"))
                slot = ref failure;
            else if (!property.NameEquals("compare"))
                throw Bad($"Unknown property '{property.Name}': a transaction has compare, success and failure", "Send " + Shape + ".");
            if (slot is not null)
                throw Bad($"Repeated property '{property.Name}': give it once");
            slot = property.Value;
        }

        var compares = Items(compare, "compare").Select(Compare).ToList();
        var onSuccess = Items(success, "success").Select(Operation).ToList();
        var onFailure = Items(failure, "failure").Select(Operation).ToList();
        NoKeyWrittenTwice(onSuccess, "success");
        NoKeyWrittenTwice(onFailure, "failure");
        return new TransactionCommand(compares, onSuccess, onFailure);
    }

    private IEnumerable<(JsonElement Element, string Where)> Items(JsonElement? list, string name)
    {
        if (list is not { } array)
            return [];
        if (array.ValueKind != JsonValueKind.Array)
            throw Bad($"{name} must be an array", $"It is a JSON {Kind(array)}.");
        var count = array.GetArrayLength();
        if (count > options.MaxTxnOperations)
            throw Bad($"Too many entries in {name}: send at most {options.MaxTxnOperations}", $"{name} holds {count}; the limit (Ledger:MaxTxnOperations) applies to compare, success and failure each.");
        return array.EnumerateArray().Select((e, i) => (e, $"{name}[{i}]")).ToList();
    }

    private TxnCompare Compare((JsonElement Element, string Where) item)
    {
        var (element, where) = item;
        var fields = Fields(element, where, ["key", "target", "result", "value"], ["key", "target", "result", "value"]);
        var key = Key(fields["key"], $"{where}.key");
        var target = Word(fields["target"], $"{where}.target", ["revision", "value", "exists"]) switch
        {
            "revision" => CompareTarget.Revision,
            "value" => CompareTarget.Value,
            _ => CompareTarget.Exists,
        };
        var result = Word(fields["result"], $"{where}.result", ["equal", "not_equal", "greater", "less"]) switch
        {
            "equal" => CompareResult.Equal,
            "not_equal" => CompareResult.NotEqual,
            "greater" => CompareResult.Greater,
            _ => CompareResult.Less,
        };
        var value = fields["value"];
        switch (target)
        {
            case CompareTarget.Revision:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var revision) || revision < 0)
                    throw Bad($"{where}.value must be a revision: a whole number, 0 or more", $"'{value.GetRawText()}' is not (0 stands for an absent key).");
                return new TxnCompare(key, target, result, revision, []);
            case CompareTarget.Exists:
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw Bad($"{where}.value must be true or false for target exists", $"'{value.GetRawText()}' is not.");
                if (result is not (CompareResult.Equal or CompareResult.NotEqual))
                    throw Bad($"{where}.result must be equal or not_equal for target exists");
                return new TxnCompare(key, target, result, value.ValueKind == JsonValueKind.True ? 1 : 0, []);
            default:
                return new TxnCompare(key, target, result, 0, Value(value, $"{where}.value"));
        }
    }

    private TxnOperation Operation((JsonElement Element, string Where) item)
    {
        var (element, where) = item;
        if (element.ValueKind != JsonValueKind.Object || element.GetPropertyCount() != 1)
            throw Bad($"{where} must be one of {{\"put\": ...}}, {{\"delete\": ...}} or {{\"get\": ...}}", $"It is {Kind(element)} '{Clip(element)}'.");
        var only = element.EnumerateObject().First();
        if (only.NameEquals("put"))
        {
            var fields = Fields(only.Value, $"{where}.put", ["key", "value"], ["key", "value"]);
            return TxnOperation.Put(Key(fields["key"], $"{where}.put.key"), Value(fields["value"], $"{where}.put.value"));
        }

        if (only.NameEquals("delete") || only.NameEquals("get"))
        {
            var name = only.Name;
            var fields = Fields(only.Value, $"{where}.{name}", ["key"], ["key"]);
            var key = Key(fields["key"], $"{where}.{name}.key");
            return name == "get" ? TxnOperation.Get(key) : TxnOperation.Delete(key);
        }

        throw Bad($"Unknown operation '{only.Name}' in {where}: use put, delete or get");
    }

    private static void NoKeyWrittenTwice(List<TxnOperation> operations, string branch)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in operations.Where(o => o.Kind != TxnOperationKind.Get))
        {
            if (!written.Add(operation.Key))
                throw Bad($"Key written twice in {branch}: put or delete each key at most once per branch", $"'{operation.Key}' is written more than once.");
        }
    }

    private static Dictionary<string, JsonElement> Fields(JsonElement element, string where, string[] allowed, string[] required)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Bad($"{where} must be a JSON object with {string.Join(", ", required)}", $"It is a JSON {Kind(element)}.");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                throw Bad($"Unknown property '{property.Name}' in {where}: it takes {string.Join(", ", allowed)}");
            if (!fields.TryAdd(property.Name, property.Value))
                throw Bad($"Repeated property '{property.Name}' in {where}: give it once");
        }

        foreach (var name in required.Where(n => !fields.ContainsKey(n)))
            throw Bad($"{where} is missing \"{name}\"");
        return fields;
    }

    private static string Key(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw Bad($"{where} must be a string", $"It is a JSON {Kind(element)}.");
        var key = element.GetString()!;
        if (!RequestReader.ValidateKey(key, out var error))
        {
            var details = (error as ProblemHttpResult)?.ProblemDetails;
            throw Bad($"Bad key at {where}: {details?.Title}", details?.Detail);
        }

        return key;
    }

    private byte[] Value(JsonElement element, string where) => ValueOf(element, where, options.MaxValueBytes);

    private static byte[] ValueOf(JsonElement element, string where, int maxValueBytes)
    {
        var value = RequestReader.Minify(element);
        if (value.Length > maxValueBytes)
            throw new InvalidTxn(Problems.TooLarge($"Value too large at {where}: send a smaller value", $"The value is {value.Length} bytes of minified JSON; the limit (Ledger:MaxValueBytes) is {maxValueBytes}."));
        return value;
    }

    private static string Word(JsonElement element, string where, string[] allowed)
    {
        var word = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (word is null || !allowed.Contains(word, StringComparer.Ordinal))
            throw Bad($"{where} must be one of {string.Join(", ", allowed)}", $"'{Clip(element)}' is not.");
        return word;
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static string Clip(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 64 ? text : text[..64] + "…";
    }

    private static InvalidTxn Bad(string title, string? detail = null) => new(Problems.BadRequest(title, detail));
}

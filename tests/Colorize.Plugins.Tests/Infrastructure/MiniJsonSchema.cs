using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>
/// A small JSON Schema (draft 2020-12) evaluator for the keywords the manifest schema uses, written from the
/// specification and nothing else. It throws on any keyword it does not know, so a schema change that it cannot
/// judge fails the agreement test instead of passing silently.
/// </summary>
internal sealed class MiniJsonSchema(JsonElement root)
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "title", "description", "$defs", "$comment"];

    public bool IsValid(JsonElement instance) => Validate(root, instance);

    /// <summary>Resolves a local reference such as <c>#/$defs/identifier</c>.</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            string pointer = reference.GetString()!;
            if (!pointer.StartsWith("#/", StringComparison.Ordinal))
            {
                throw new NotSupportedException($"$ref {pointer}");
            }

            var target = root;
            foreach (var part in pointer[2..].Split('/'))
            {
                target = target.GetProperty(part);
            }

            schema = target;
        }

        return schema;
    }

    private bool Validate(JsonElement schema, JsonElement instance)
    {
        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return schema.ValueKind == JsonValueKind.True;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            var value = keyword.Value;
            bool ok = keyword.Name switch
            {
                _ when Annotations.Contains(keyword.Name) => true,
                "$ref" => Validate(Resolve(schema), instance),
                "type" => value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Any(t => HasType(instance, t.GetString()!)) : HasType(instance, value.GetString()!),
                "enum" => value.EnumerateArray().Any(v => JsonElement.DeepEquals(v, instance)),
                "const" => JsonElement.DeepEquals(value, instance),
                "pattern" => instance.ValueKind != JsonValueKind.String || EcmaRegex(value.GetString()!).IsMatch(instance.GetString()!),
                "minLength" => instance.ValueKind != JsonValueKind.String || CodePoints(instance.GetString()!) >= value.GetInt32(),
                "maxLength" => instance.ValueKind != JsonValueKind.String || CodePoints(instance.GetString()!) <= value.GetInt32(),
                "minimum" => instance.ValueKind != JsonValueKind.Number || Number(instance) >= Number(value),
                "maximum" => instance.ValueKind != JsonValueKind.Number || Number(instance) <= Number(value),
                "required" => instance.ValueKind != JsonValueKind.Object || value.EnumerateArray().All(r => instance.TryGetProperty(r.GetString()!, out _)),
                "maxProperties" => instance.ValueKind != JsonValueKind.Object || instance.EnumerateObject().Count() <= value.GetInt32(),
                "maxItems" => instance.ValueKind != JsonValueKind.Array || instance.GetArrayLength() <= value.GetInt32(),
                "items" => instance.ValueKind != JsonValueKind.Array || instance.EnumerateArray().All(item => Validate(value, item)),
                "properties" => instance.ValueKind != JsonValueKind.Object || instance.EnumerateObject()
                    .All(p => !value.TryGetProperty(p.Name, out var sub) || Validate(sub, p.Value)),
                "additionalProperties" => instance.ValueKind != JsonValueKind.Object || instance.EnumerateObject()
                    .Where(p => !(schema.TryGetProperty("properties", out var declared) && declared.TryGetProperty(p.Name, out _)))
                    .All(p => Validate(value, p.Value)),
                "propertyNames" => instance.ValueKind != JsonValueKind.Object || instance.EnumerateObject()
                    .All(p => Validate(value, JsonSerializer.SerializeToElement(p.Name))),
                _ => throw new NotSupportedException($"The test's schema evaluator does not know the keyword '{keyword.Name}'."),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasType(JsonElement instance, string type) => type switch
    {
        "object" => instance.ValueKind == JsonValueKind.Object,
        "array" => instance.ValueKind == JsonValueKind.Array,
        "string" => instance.ValueKind == JsonValueKind.String,
        "number" => instance.ValueKind == JsonValueKind.Number,
        // 2020-12: any number with a zero fractional part is an integer.
        "integer" => instance.ValueKind == JsonValueKind.Number && decimal.Truncate(Number(instance)) == Number(instance),
        "boolean" => instance.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => instance.ValueKind == JsonValueKind.Null,
        _ => throw new NotSupportedException($"type {type}"),
    };

    private static decimal Number(JsonElement element) => decimal.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>
    /// JSON Schema patterns are ECMA-262 and unanchored; ECMA-262's '$' (no multiline flag) matches only at the very
    /// end, which is .NET's '\z' (.NET's '$' would also match before a final newline).
    /// </summary>
    private static Regex EcmaRegex(string pattern) => new(pattern.Replace("$", @"\z", StringComparison.Ordinal), RegexOptions.ECMAScript);

    private static int CodePoints(string s) => s.EnumerateRunes().Count();
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

/// <summary>
/// The checked-in JSON schema and the C# validator agree: a corpus of manifests derived from the schema file itself
/// (every property replaced by boundary values, wrong types, enum members and outsiders, pattern probes; every
/// property removed; unknown properties added) is judged by an independent schema evaluator and by the validator.
/// </summary>
public sealed partial class ManifestSchemaTests
{
    private static readonly string SchemaPath = Path.Combine(AppContext.BaseDirectory, "manifest.schema.json");

    /// <summary>Strings probing every pattern: ids, versions, hashes, paths, ranges, and near misses of each.</summary>
    private static readonly string[] Probes =
    [
        "", "a", "z9", "A", "-a", "a-", "a_b", "abc-def", "0", new string('a', 64), new string('a', 65), "abc\n", "ab c", "é",
        "1.2.3", "0.0.0", "01.2.3", "1.2", "1.2.3.4", "1.2.3-beta.1", "1.2.3-beta.01", "1.2.3-0", "1.2.3-", "1.2.3+build",
        "1.2.3-rc+b", "999999999.0.0", "1000000000.0.0", "1.2.3-alpha..1", "1.2.3-x-y", "1.2.3\n",
        new string('a', 64).Replace('a', 'f'), new string('A', 64), new string('a', 63), new string('a', 65), new string('g', 64),
        "weights.safetensors", "docs/NOTICE", "a/b/c/d", "a/b/c/d/e", ".hidden", "a/.b", "../x", "a/../b", "a//b", "/abs", "a\\b",
        "C:/x", "NUL", "nul.txt", "con", "COM1.md", "a.", "manifest.json", "MANIFEST.JSON", new string('x', 100), new string('x', 101),
        "x/" + new string('y', 100), "*", ">=1.0.0 <2.0.0", ">=1.0", "<3.0.0-beta", "=1.0.0", "1.0.0 || 2.0.0", "lab", "LAB", "F32", "f32", "BF16",
    ];

    [Fact]
    public void EmbeddedSchema_IsTheCheckedInFile()
    {
        Assert.Equal(File.ReadAllText(SchemaPath), PackManifestJson.SchemaText);
    }

    [Fact]
    public void SchemaPatterns_AreTheValidatorsPatterns()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath));
        var defs = schema.RootElement.GetProperty("$defs");
        Assert.Equal(PackManifestValidator.IdentifierPattern, defs.GetProperty("identifier").GetProperty("pattern").GetString());
        Assert.Equal(PackManifestValidator.Sha256Pattern, defs.GetProperty("sha256").GetProperty("pattern").GetString());
        Assert.Equal(PackManifestValidator.FilePathPattern, defs.GetProperty("filePath").GetProperty("pattern").GetString());
        Assert.Equal(PackManifestValidator.VersionPattern, schema.RootElement.GetProperty("properties").GetProperty("version").GetProperty("pattern").GetString());
        Assert.Equal(PackManifestValidator.WeightDTypes, schema.RootElement.GetProperty("properties").GetProperty("weights").GetProperty("properties")
            .GetProperty("dtype").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void SchemaAndValidator_AgreeOnEveryManifestDerivedFromTheSchema()
    {
        using var schemaDocument = JsonDocument.Parse(File.ReadAllText(SchemaPath));
        var schema = new MiniJsonSchema(schemaDocument.RootElement);
        var corpus = new List<(string Label, JsonNode Manifest)>();
        foreach (var seed in Seeds())
        {
            corpus.Add(("seed", seed));
            corpus.AddRange(Mutations(schema, schemaDocument.RootElement, seed));
        }

        var disagreements = new List<string>();
        int valid = 0;
        foreach (var (label, manifest) in corpus)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
            using var instance = JsonDocument.Parse(bytes);
            bool expected = schema.IsValid(instance.RootElement) && ExtraRulesHold(manifest);
            var problems = PackManifestValidator.Validate(bytes);
            valid += expected ? 1 : 0;
            if (expected != (problems.Count == 0))
            {
                disagreements.Add($"{label}: schema says {(expected ? "valid" : "invalid")}, validator says {(problems.Count == 0 ? "valid" : string.Join("; ", problems))}");
            }
            else if (expected)
            {
                // What the validator accepts must also deserialize into the manifest record.
                _ = PackManifestJson.Parse(bytes);
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {corpus.Count} disagreements:\n" + string.Join('\n', disagreements.Take(40)));
        Assert.True(valid >= 50 && corpus.Count - valid >= 300, $"a corpus of {corpus.Count} with {valid} valid is too one-sided to mean much");
    }

    [Fact]
    public void Serialize_WritesWhatParseReads()
    {
        var manifest = PackBuilder.Pix2Pix().WithListedFile("NOTICE", "n").ToManifest();

        var json = PackManifestJson.Serialize(manifest);
        var again = PackManifestJson.Parse(json);

        Assert.Equal(json, PackManifestJson.Serialize(again));
        Assert.Equal(manifest.Weights, again.Weights);
        Assert.Equal(8, again.Architecture.Hyperparameters["ngf"].GetInt32());
        Assert.DoesNotContain("null", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_RefusesAManifestTheStoreWouldRefuse()
    {
        var manifest = PackBuilder.Echo().ToManifest() with { Id = "Not An Id" };

        var error = Assert.Throws<ModelPackException>(() => PackManifestJson.Serialize(manifest));

        Assert.Contains("id: 'Not An Id' must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_NameThePathAndTheRule()
    {
        var manifest = PackBuilder.Echo().Manifest;
        manifest["input"]!["defaultRenderSize"] = 10;
        manifest["weights"]!["dtype"] = "F64";
        manifest.Remove("license");

        var problems = PackManifestValidator.Validate(Encoding.UTF8.GetBytes(manifest.ToJsonString()));

        Assert.Contains("manifest: required property 'license' is missing", problems);
        Assert.Contains("input.defaultRenderSize: 10 is outside 16..8192", problems);
        Assert.Contains("weights.dtype: must be one of \"F32\", \"F16\", \"BF16\", not \"F64\"", problems);
    }

    [Theory]
    [InlineData("1.5", true)]
    [InlineData("0.25", true)]
    [InlineData("4", true)]
    [InlineData("0.1", false)]
    [InlineData("5", false)]
    [InlineData("\"1.5\"", false)]
    public void ChromaGain_IsANumberFromAQuarterToFour(string value, bool valid)
    {
        var manifest = PackBuilder.Echo().Manifest;
        manifest["input"]!["chromaGain"] = JsonNode.Parse(value);
        var problems = PackManifestValidator.Validate(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        if (valid)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith("input.chromaGain: must be a number from 0.25 to 4", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", true)]
    [InlineData("1", false)]
    [InlineData("\"yes\"", false)]
    public void Hints_IsTrueOrFalse_AndReachesTheManifest(string value, bool valid)
    {
        // Contract 1.2 (issue 16): a pack says it takes colour hints with input.hints.
        var manifest = PackBuilder.Echo().Manifest;
        manifest["input"]!["hints"] = JsonNode.Parse(value);
        var problems = PackManifestValidator.Validate(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        if (valid)
        {
            Assert.Empty(problems);
            Assert.Equal(value == "true", PackManifestJson.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString())).Input.Hints);
        }
        else
        {
            Assert.Contains(problems, p => p.StartsWith("input.hints: must be true or false", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hints_IsWrittenOnlyWhenTrue(bool hints)
    {
        // A pack without hints must stay installable by hosts of contract 1.0/1.1, whose manifest check refuses
        // unknown fields: the writer leaves input.hints out unless it is true.
        var manifest = PackManifestJson.Parse(Encoding.UTF8.GetBytes(PackBuilder.Echo().Manifest.ToJsonString()));
        manifest = manifest with { Input = manifest.Input with { Hints = hints } };
        var written = JsonNode.Parse(PackManifestJson.Serialize(manifest))!;
        Assert.Equal(hints, written["input"]!.AsObject().ContainsKey("hints"));
        Assert.Equal(hints, PackManifestJson.Parse(PackManifestJson.Serialize(manifest)).Input.Hints);
    }

    /// <summary>Valid starting points: the full manifest the tests use, and a minimal one.</summary>
    private static IEnumerable<JsonNode> Seeds()
    {
        yield return PackBuilder.Pix2Pix().WithListedFile("MODEL_CARD.md", "card").WithListedFile("docs/NOTICE", "n").Manifest;
        var minimal = new JsonObject
        {
            ["schema"] = 1,
            ["id"] = "m",
            ["version"] = "0.1.0",
            ["name"] = "Minimal",
            ["architecture"] = new JsonObject { ["name"] = "x", ["version"] = 1 },
            ["input"] = new JsonObject { ["defaultRenderSize"] = 256 },
            ["engine"] = new JsonObject { ["range"] = "*" },
            ["weights"] = new JsonObject { ["file"] = "w.safetensors", ["sha256"] = new string('0', 64), ["dtype"] = "BF16" },
            ["license"] = "MIT",
        };
        yield return minimal;
    }

    /// <summary>Every mutation the schema suggests, at every property present in <paramref name="seed"/>.</summary>
    private static IEnumerable<(string, JsonNode)> Mutations(MiniJsonSchema schema, JsonElement rootSchema, JsonNode seed)
    {
        foreach (var (path, propertySchema, _) in Walk(schema, rootSchema, seed, []))
        {
            string label = string.Join('.', path);
            foreach (var candidate in Candidates(schema.Resolve(propertySchema)))
            {
                yield return ($"{label} = {candidate?.ToJsonString() ?? "null"}", With(seed, path, candidate));
            }

            // Removing is valid or not as the parent's "required" says; the evaluator decides.
            yield return ($"remove {label}", With(seed, path, null, remove: true));
        }

        foreach (var (path, objectSchema) in Objects(schema, rootSchema, seed, []))
        {
            string label = path.Count == 0 ? "manifest" : string.Join('.', path);
            yield return ($"{label} + unknown property", With(seed, [.. path, "zUnknown"], JsonValue.Create(1)));
            if (objectSchema.TryGetProperty("propertyNames", out _) || (objectSchema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object))
            {
                foreach (var probe in Probes)
                {
                    yield return ($"{label} + key '{probe}'", With(seed, [.. path, probe], ValueFor(schema, objectSchema)));
                }
            }
        }
    }

    /// <summary>Values to try for a property: boundaries, members and outsiders, pattern probes, and wrong types.</summary>
    private static IEnumerable<JsonNode?> Candidates(JsonElement schema)
    {
        var types = !schema.TryGetProperty("type", out var type) ? []
            : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
        if (schema.TryGetProperty("enum", out var members))
        {
            foreach (var member in members.EnumerateArray())
            {
                yield return JsonNode.Parse(member.GetRawText());
            }

            yield return "not-a-member";
            yield return JsonValue.Create(1);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            yield return JsonNode.Parse(constant.GetRawText());
            yield return JsonValue.Create(constant.GetInt64() + 1);
        }

        if (types.Contains("string"))
        {
            foreach (var probe in Probes)
            {
                yield return probe;
            }

            foreach (var keyword in new[] { "minLength", "maxLength" })
            {
                if (schema.TryGetProperty(keyword, out var bound))
                {
                    foreach (int length in new[] { bound.GetInt32() - 1, bound.GetInt32(), bound.GetInt32() + 1 }.Where(l => l >= 0))
                    {
                        yield return new string('k', length);
                        yield return string.Concat(Enumerable.Repeat("😀", length));
                    }
                }
            }
        }

        if (types.Contains("integer"))
        {
            long[] values = [0, 1, -1, 15, 16, 8192, 8193, 64, 2048, int.MaxValue, (long)int.MaxValue + 1];
            foreach (var v in values)
            {
                yield return JsonValue.Create(v);
            }

            foreach (var keyword in new[] { "minimum", "maximum" })
            {
                if (schema.TryGetProperty(keyword, out var bound) && bound.TryGetInt64(out long b))
                {
                    if (b > long.MinValue)
                    {
                        yield return JsonValue.Create(b - 1);
                    }

                    yield return JsonValue.Create(b);
                    if (b < long.MaxValue)
                    {
                        yield return JsonValue.Create(b + 1);
                    }
                }
            }

            yield return JsonValue.Create(2.5);
        }

        if (types.Contains("number"))
        {
            yield return JsonValue.Create(0.25);
            yield return JsonValue.Create(-3);
        }

        // Wrong types, and null (allowed only where the schema says so).
        yield return JsonValue.Create(42);
        yield return "text";
        yield return JsonValue.Create(true);
        yield return new JsonArray();
        yield return new JsonObject();
        yield return null;
    }

    /// <summary>A value that fits an object's additionalProperties (a metric number, a sha256), to probe its keys.</summary>
    private static JsonNode? ValueFor(MiniJsonSchema schema, JsonElement objectSchema)
    {
        if (!objectSchema.TryGetProperty("additionalProperties", out var extra) || extra.ValueKind != JsonValueKind.Object)
        {
            return JsonValue.Create(1);
        }

        var resolved = schema.Resolve(extra);
        return resolved.TryGetProperty("type", out var t) && t.GetString() == "number" ? JsonValue.Create(1.5) : (JsonNode)new string('e', 64);
    }

    /// <summary>Every property present in the instance, with its schema and its parent object's schema.</summary>
    private static IEnumerable<(List<object> Path, JsonElement Schema, JsonElement Parent)> Walk(MiniJsonSchema schema, JsonElement objectSchema, JsonNode node, List<object> path)
    {
        objectSchema = schema.Resolve(objectSchema);
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj)
            {
                JsonElement sub;
                if (objectSchema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(name, out var declared))
                {
                    sub = declared;
                }
                else if (objectSchema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.Object)
                {
                    sub = extra;
                }
                else
                {
                    continue;
                }

                List<object> childPath = [.. path, name];
                yield return (childPath, sub, objectSchema);
                if (child is not null)
                {
                    foreach (var inner in Walk(schema, sub, child, childPath))
                    {
                        yield return inner;
                    }
                }
            }
        }
        else if (node is JsonArray array && objectSchema.TryGetProperty("items", out var items))
        {
            for (int i = 0; i < array.Count; i++)
            {
                List<object> childPath = [.. path, i];
                yield return (childPath, items, objectSchema);
                foreach (var inner in Walk(schema, items, array[i]!, childPath))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Every object in the instance, with its schema.</summary>
    private static IEnumerable<(List<object> Path, JsonElement Schema)> Objects(MiniJsonSchema schema, JsonElement rootSchema, JsonNode seed, List<object> path)
    {
        yield return (path, schema.Resolve(rootSchema));
        foreach (var (childPath, sub, _) in Walk(schema, rootSchema, seed, path))
        {
            if (Navigate(seed, childPath) is JsonObject)
            {
                yield return (childPath, schema.Resolve(sub));
            }
        }
    }

    private static JsonNode? Navigate(JsonNode node, List<object> path)
    {
        JsonNode? current = node;
        foreach (var step in path)
        {
            current = step is string name ? current?[name] : current?[(int)step];
        }

        return current;
    }

    private static JsonNode With(JsonNode seed, List<object> path, JsonNode? value, bool remove = false)
    {
        var copy = seed.DeepClone();
        var parent = Navigate(copy, path[..^1])!;
        if (path[^1] is string name)
        {
            if (remove)
            {
                parent.AsObject().Remove(name);
            }
            else
            {
                parent[name] = value?.DeepClone();
            }
        }
        else if (remove)
        {
            parent.AsArray().RemoveAt((int)path[^1]);
        }
        else
        {
            parent[(int)path[^1]] = value?.DeepClone();
        }

        return copy;
    }

    /// <summary>
    /// The rules the schema's description lists as enforced by the validator alone, restated here from that text:
    /// render-size ordering (absent bounds 64 and 2048), a parseable engine range, the weights file not listed
    /// again, manifest.json neither listed nor the weights, listed names distinct ignoring case, no Windows device
    /// names. (The validator also refuses integers written as "16.0", which the schema would accept; the corpus never
    /// writes an integer that way, so that rule is tested in <see cref="IntegersWithAFraction_AreRefused"/>.)
    /// </summary>
    private static bool ExtraRulesHold(JsonNode manifest)
    {
        if (manifest["input"] is JsonObject input && AllIntegers(input, "defaultRenderSize", "minRenderSize", "maxRenderSize") is { } sizes)
        {
            long size = sizes[0] ?? 0, min = sizes[1] ?? 64, max = sizes[2] ?? 2048;
            if (sizes[0] is not null && !(min <= size && size <= max))
            {
                return false;
            }
        }

        if (manifest["engine"]?["range"] is JsonValue range && range.TryGetValue<string>(out var text)
            && (!RangeRegex().IsMatch(text) || !VersionNumbersFitInt(text)))
        {
            return false;
        }

        var names = new List<string>();
        string? weightsFile = manifest["weights"]?["file"] is JsonValue w && w.TryGetValue<string>(out var wf) ? wf : null;
        if (weightsFile is not null)
        {
            names.Add(weightsFile);
        }

        if (weightsFile is not null && weightsFile.Equals("manifest.json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (manifest["files"] is JsonObject files)
        {
            var keys = files.Select(f => f.Key).ToList();
            if (keys.Any(k => k.Equals("manifest.json", StringComparison.OrdinalIgnoreCase))
                || keys.Any(k => weightsFile is not null && k.Equals(weightsFile, StringComparison.OrdinalIgnoreCase))
                || keys.Distinct(StringComparer.OrdinalIgnoreCase).Count() != keys.Count)
            {
                return false;
            }

            names.AddRange(keys);
        }

        string[] devices = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", .. Enumerable.Range(0, 10).SelectMany(i => new[] { $"COM{i}", $"LPT{i}" })];
        if (names.SelectMany(n => n.Split('/')).Any(s => s.EndsWith('.') || devices.Contains(s.Split('.')[0], StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        return true;
    }

    private static long?[]? AllIntegers(JsonObject obj, params string[] names)
    {
        var result = new long?[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            if (obj[names[i]] is null)
            {
                continue;
            }

            if (obj[names[i]] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !long.TryParse(v.ToJsonString(), out long n))
            {
                return null;
            }

            result[i] = n;
        }

        return result;
    }

    [Fact]
    public void IntegersWithAFraction_AreRefused()
    {
        string json = PackBuilder.Echo().Manifest.ToJsonString().Replace("\"defaultRenderSize\":64", "\"defaultRenderSize\":64.0", StringComparison.Ordinal);
        Assert.Contains("64.0", json, StringComparison.Ordinal);

        var problems = PackManifestValidator.Validate(Encoding.UTF8.GetBytes(json));

        Assert.Equal(["input.defaultRenderSize: must be an integer written without a fraction or exponent, not 64.0"], problems);
    }

    // "*" or space-separated comparators, each an optional operator and a semantic version (build metadata allowed),
    // as SemVerRange's documentation describes it.
    [GeneratedRegex(@"^ *(\*|((>=|<=|>|<|=)?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)( +(>=|<=|>|<|=)?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)*) *\z")]
    private static partial Regex RangeRegex();

    /// <summary>Whether every major, minor and patch number in a (well-formed) range fits an int.</summary>
    private static bool VersionNumbersFitInt(string range) => range
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Where(token => token != "*")
        .Select(token => token.TrimStart('>', '<', '=').Split('+')[0].Split('-')[0])
        .All(core => core.Split('.').All(n => int.TryParse(n, out _)));
}

using System.Globalization;
using System.Text.Json;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <content>The checker that walks a manifest document once; each method mirrors one part of the schema.</content>
public static partial class PackManifestValidator
{
    /// <summary>Walks the document once and collects problems; each method mirrors one part of the schema.</summary>
    private sealed class Checker
    {
        public List<string> Problems { get; } = [];

        public void CheckManifest(JsonElement root)
        {
            // Top-level properties are all looked up with TryGetValue, so a missing one does not stop the others' checks.
            CheckObject(root, "manifest", TopLevel, TopLevelRequired, out var p);

            if (p.TryGetValue("schema", out var schema) && CheckInteger(schema, "schema", long.MinValue, long.MaxValue, nullable: false, out long s)
                && s != PackManifest.CurrentSchema)
            {
                Add("schema", $"schema {s} is not supported (this version reads schema {PackManifest.CurrentSchema})");
            }

            if (p.TryGetValue("id", out var id))
            {
                CheckIdentifier(id, "id");
            }

            if (p.TryGetValue("version", out var version) && CheckString(version, "version", 1, 64, nullable: false, out var v)
                && !FullMatch(VersionRegex(), v))
            {
                Add("version", $"'{Clip(v)}' is not a semantic version major.minor.patch[-pre-release] (no build metadata, numbers up to nine digits)");
            }

            if (p.TryGetValue("name", out var name))
            {
                CheckString(name, "name", 1, 200, nullable: false, out _);
            }

            if (p.TryGetValue("description", out var description))
            {
                CheckString(description, "description", 0, 4000, nullable: true, out _);
            }

            if (p.TryGetValue("architecture", out var architecture))
            {
                CheckArchitecture(architecture);
            }

            if (p.TryGetValue("input", out var input))
            {
                CheckInput(input);
            }

            if (p.TryGetValue("engine", out var engine) && CheckObject(engine, "engine", ["range"], ["range"], out var e)
                && CheckString(e["range"], "engine.range", 1, 200, nullable: false, out var range)
                && !SemVerRange.TryParse(range, out _))
            {
                Add("engine.range", $"'{Clip(range)}' is not a version range ('*' or comparators such as '>=0.1.0 <2.0.0')");
            }

            if (p.TryGetValue("training", out var training))
            {
                CheckTraining(training);
            }

            if (p.TryGetValue("metrics", out var metrics))
            {
                CheckMetrics(metrics);
            }

            string? weightsFile = null;
            if (p.TryGetValue("weights", out var weights))
            {
                weightsFile = CheckWeights(weights);
            }

            if (p.TryGetValue("license", out var license))
            {
                CheckString(license, "license", 1, 200, nullable: false, out _);
            }

            if (p.TryGetValue("files", out var files))
            {
                CheckFiles(files, weightsFile);
            }
        }

        private void CheckArchitecture(JsonElement element)
        {
            if (!CheckObject(element, "architecture", ["name", "version", "hyperparameters"], ["name", "version"], out var p))
            {
                return;
            }

            CheckIdentifier(p["name"], "architecture.name");
            CheckInteger(p["version"], "architecture.version", 1, 1_000_000, nullable: false, out _);
            if (p.TryGetValue("hyperparameters", out var hyper))
            {
                if (hyper.ValueKind != JsonValueKind.Object)
                {
                    Add("architecture.hyperparameters", $"must be an object, not {Describe(hyper)}");
                }
                else if (CheckDistinctProperties(hyper, "architecture.hyperparameters", out var count) && count > 64)
                {
                    Add("architecture.hyperparameters", $"has {count} entries, more than the 64 allowed");
                }
            }
        }

        private void CheckInput(JsonElement element)
        {
            string[] names = ["colorSpace", "normalisation", "defaultRenderSize", "minRenderSize", "maxRenderSize", "chromaGain", "hints"];
            if (!CheckObject(element, "input", names, ["defaultRenderSize"], out var p))
            {
                return;
            }

            if (p.TryGetValue("colorSpace", out var colorSpace))
            {
                CheckEnum(colorSpace, "input.colorSpace", ["lab"]);
            }

            if (p.TryGetValue("normalisation", out var normalisation))
            {
                CheckEnum(normalisation, "input.normalisation", ["l/50-1,ab/110"]);
            }

            // Absent bounds take the manifest record's defaults, so the cross-field rule below sees what the engine sees.
            var defaults = new InputSpec { DefaultRenderSize = 256 };
            bool ok = CheckInteger(p["defaultRenderSize"], "input.defaultRenderSize", 16, 8192, nullable: false, out long size);
            long min = defaults.MinRenderSize, max = defaults.MaxRenderSize;
            if (p.TryGetValue("minRenderSize", out var minElement))
            {
                ok &= CheckInteger(minElement, "input.minRenderSize", 16, 8192, nullable: false, out min);
            }

            if (p.TryGetValue("maxRenderSize", out var maxElement))
            {
                ok &= CheckInteger(maxElement, "input.maxRenderSize", 16, 8192, nullable: false, out max);
            }

            if (p.TryGetValue("chromaGain", out var gain)
                && (gain.ValueKind != JsonValueKind.Number || !gain.TryGetDouble(out double g) || !(g >= MinChromaGain && g <= MaxChromaGain)))
            {
                Add("input.chromaGain", $"must be a number from {MinChromaGain} to {MaxChromaGain}, got {gain.GetRawText()}");
            }

            if (p.TryGetValue("hints", out var hints) && hints.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Add("input.hints", $"must be true or false, got {hints.GetRawText()}");
            }

            if (ok && !(min <= size && size <= max))
            {
                Add("input", $"render sizes must satisfy minRenderSize ({min}) <= defaultRenderSize ({size}) <= maxRenderSize ({max}); absent bounds are {defaults.MinRenderSize} and {defaults.MaxRenderSize}");
            }
        }

        private void CheckTraining(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Null
                || !CheckObject(element, "training", ["recipe", "data", "seed", "epochs"], [], out var p))
            {
                return;
            }

            if (p.TryGetValue("recipe", out var recipe))
            {
                CheckString(recipe, "training.recipe", 0, 200, nullable: true, out _);
            }

            if (p.TryGetValue("seed", out var seed))
            {
                CheckInteger(seed, "training.seed", long.MinValue, long.MaxValue, nullable: true, out _);
            }

            if (p.TryGetValue("epochs", out var epochs))
            {
                CheckInteger(epochs, "training.epochs", 0, int.MaxValue, nullable: true, out _);
            }

            if (!p.TryGetValue("data", out var data) || data.ValueKind == JsonValueKind.Null)
            {
                return;
            }

            if (data.ValueKind != JsonValueKind.Array)
            {
                Add("training.data", $"must be an array, not {Describe(data)}");
                return;
            }

            int length = data.GetArrayLength();
            if (length > 64)
            {
                Add("training.data", $"lists {length} sources, more than the 64 allowed");
                return;
            }

            int i = 0;
            foreach (var item in data.EnumerateArray())
            {
                string path = $"training.data[{i++}]";
                if (CheckObject(item, path, ["name", "license", "count"], ["name", "license"], out var d))
                {
                    CheckString(d["name"], path + ".name", 1, 500, nullable: false, out _);
                    CheckString(d["license"], path + ".license", 1, 200, nullable: false, out _);
                    if (d.TryGetValue("count", out var count))
                    {
                        CheckInteger(count, path + ".count", 0, int.MaxValue, nullable: true, out _);
                    }
                }
            }
        }

        private void CheckMetrics(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Null)
            {
                return;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                Add("metrics", $"must be an object, not {Describe(element)}");
                return;
            }

            if (!CheckDistinctProperties(element, "metrics", out int count))
            {
                return;
            }

            if (count > 64)
            {
                Add("metrics", $"has {count} entries, more than the 64 allowed");
                return;
            }

            foreach (var metric in element.EnumerateObject())
            {
                if (CodePoints(metric.Name) is 0 or > 100)
                {
                    Add("metrics", $"metric names must be 1 to 100 characters ('{Clip(metric.Name)}')");
                }
                else if (metric.Value.ValueKind != JsonValueKind.Number)
                {
                    Add($"metrics['{metric.Name}']", $"must be a number, not {Describe(metric.Value)}");
                }
            }
        }

        private string? CheckWeights(JsonElement element)
        {
            if (!CheckObject(element, "weights", ["file", "sha256", "dtype"], ["file", "sha256", "dtype"], out var p))
            {
                return null;
            }

            string? file = CheckFilePath(p["file"], "weights.file", isKey: false);
            if (file is not null && string.Equals(file, PackManifestJson.FileName, StringComparison.OrdinalIgnoreCase))
            {
                Add("weights.file", "the weights cannot be manifest.json");
                file = null;
            }

            CheckSha256(p["sha256"], "weights.sha256");
            CheckEnum(p["dtype"], "weights.dtype", [.. WeightDTypes]);
            return file;
        }

        private void CheckFiles(JsonElement element, string? weightsFile)
        {
            if (element.ValueKind == JsonValueKind.Null)
            {
                return;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                Add("files", $"must be an object mapping file names to sha256, not {Describe(element)}");
                return;
            }

            if (!CheckDistinctProperties(element, "files", out int count))
            {
                return;
            }

            if (count > 32)
            {
                Add("files", $"lists {count} files, more than the 32 allowed");
                return;
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var file in element.EnumerateObject())
            {
                string path = $"files['{Clip(file.Name)}']";
                if (CheckFilePath(file.Name, path, isKey: true) is { } name)
                {
                    if (string.Equals(name, "manifest.json", StringComparison.OrdinalIgnoreCase))
                    {
                        Add(path, "manifest.json is not hashed and must not be listed");
                    }
                    else if (weightsFile is not null && string.Equals(name, weightsFile, StringComparison.OrdinalIgnoreCase))
                    {
                        Add(path, "the weights file is described by 'weights' and must not be listed again");
                    }
                    else if (!seen.Add(name))
                    {
                        Add(path, "differs only in letter case from another listed file");
                    }
                }

                CheckSha256(file.Value, path);
            }
        }

        private void CheckIdentifier(JsonElement element, string path)
        {
            if (CheckString(element, path, 1, 64, nullable: false, out var value) && !FullMatch(IdentifierRegex(), value))
            {
                Add(path, $"'{Clip(value)}' must be 1 to 64 lower-case letters, digits or dashes, starting with a letter or digit");
            }
        }

        private void CheckSha256(JsonElement element, string path)
        {
            if (CheckString(element, path, 0, int.MaxValue, nullable: false, out var value) && !FullMatch(Sha256Regex(), value))
            {
                Add(path, $"'{Clip(value)}' is not a sha256 (64 lower-case hex digits)");
            }
        }

        private string? CheckFilePath(JsonElement element, string path, bool isKey) =>
            CheckString(element, path, 0, int.MaxValue, nullable: false, out var value) ? CheckFilePath(value, path, isKey) : null;

        private string? CheckFilePath(string value, string path, bool isKey)
        {
            if (value.Length > 255 || !FullMatch(FilePathRegex(), value))
            {
                Add(path, $"{(isKey ? "file name " : "")}'{Clip(value)}' is not a safe relative path (letters, digits, '.', '_', '-', up to four '/'-separated parts, none starting with '.')");
                return null;
            }

            if (value.Split('/').FirstOrDefault(IsWindowsDeviceName) is { } device)
            {
                Add(path, $"'{Clip(value)}' uses '{device}', a reserved device name on Windows");
                return null;
            }

            return value;
        }

        private void CheckEnum(JsonElement element, string path, string[] allowed)
        {
            if (element.ValueKind != JsonValueKind.String || !allowed.Contains(element.GetString(), StringComparer.Ordinal))
            {
                Add(path, $"must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, not {Describe(element)}");
            }
        }

        private bool CheckString(JsonElement element, string path, int minLength, int maxLength, bool nullable, out string value)
        {
            value = "";
            if (nullable && element.ValueKind == JsonValueKind.Null)
            {
                return false;
            }

            if (element.ValueKind != JsonValueKind.String)
            {
                Add(path, $"must be a string, not {Describe(element)}");
                return false;
            }

            value = element.GetString()!;
            // JSON Schema counts code points; surrogate pairs count once.
            int length = CodePoints(value);
            if (length < minLength)
            {
                Add(path, minLength == 1 ? "must not be empty" : $"must be at least {minLength} characters");
                return false;
            }

            if (length > maxLength)
            {
                Add(path, $"is {length} characters long, more than the {maxLength} allowed");
                return false;
            }

            return true;
        }

        private bool CheckInteger(JsonElement element, string path, long min, long max, bool nullable, out long value)
        {
            value = 0;
            if (nullable && element.ValueKind == JsonValueKind.Null)
            {
                return false;
            }

            if (element.ValueKind != JsonValueKind.Number)
            {
                Add(path, $"must be an integer, not {Describe(element)}");
                return false;
            }

            string raw = element.GetRawText();
            if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
            {
                Add(path, $"must be an integer written without a fraction or exponent, not {raw}");
                return false;
            }

            if (!element.TryGetInt64(out value) || value < min || value > max)
            {
                Add(path, $"{Clip(raw)} is outside {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
                return false;
            }

            return true;
        }

        /// <summary>
        /// Checks an object's shape. Returns true when it is an object with every required property, so callers may
        /// index those; <paramref name="properties"/> holds the properties by name (the first of a repeated one).
        /// </summary>
        private bool CheckObject(JsonElement element, string path, string[] allowed, string[] required, out Dictionary<string, JsonElement> properties)
        {
            properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (element.ValueKind != JsonValueKind.Object)
            {
                Add(path, $"must be an object, not {Describe(element)}");
                return false;
            }

            // Unknown or repeated properties are reported but do not stop the checks of the known ones.
            foreach (var property in element.EnumerateObject())
            {
                if (!properties.TryAdd(property.Name, property.Value))
                {
                    Add(path, $"property '{Clip(property.Name)}' appears twice");
                }
                else if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                {
                    Add(path, $"unknown property '{Clip(property.Name)}' (allowed: {string.Join(", ", allowed)})");
                }
            }

            bool ok = true;

            foreach (var name in required)
            {
                if (!properties.ContainsKey(name))
                {
                    Add(path, $"required property '{name}' is missing");
                    ok = false;
                }
            }

            return ok;
        }

        private bool CheckDistinctProperties(JsonElement element, string path, out int count)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            count = 0;
            foreach (var property in element.EnumerateObject())
            {
                count++;
                if (!names.Add(property.Name))
                {
                    Add(path, $"property '{Clip(property.Name)}' appears twice");
                    return false;
                }
            }

            return true;
        }

        private void Add(string path, string message) => Problems.Add($"{path}: {message}");

        private static int CodePoints(string s)
        {
            int n = 0;
            for (int i = 0; i < s.Length; i++)
            {
                if (!(char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])))
                {
                    n++;
                }
            }

            return n;
        }

        private static string Describe(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => $"\"{Clip(element.GetString()!)}\"",
            JsonValueKind.Number => Clip(element.GetRawText()),
            JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "an array",
            _ => "an object",
        };
    }
}

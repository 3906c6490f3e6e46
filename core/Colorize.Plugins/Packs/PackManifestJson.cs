using System.Text.Json;
using System.Text.Json.Serialization;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>Reads and writes <c>manifest.json</c>: validated parsing for the store, canonical writing for the trainer.</summary>
public static class PackManifestJson
{
    /// <summary>The file name of the manifest inside a pack.</summary>
    public const string FileName = "manifest.json";

    // Metadata from the source generator (PackManifestJsonContext): reflecting over the manifest's types and
    // compiling their converters was most of reading the first manifest in a process, which every command does.
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        MaxDepth = PackManifestValidator.MaxDepth,
        TypeInfoResolver = PackManifestJsonContext.Default,
    };

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(PackManifestJson).Assembly.GetManifestResourceStream("Colorize.Plugins.manifest.schema.json")
            ?? throw new InvalidOperationException("The manifest schema resource is missing from Colorize.Plugins.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The JSON schema (draft 2020-12) of the manifest, as checked in at <c>core/Colorize.Plugins/schema/manifest.schema.json</c>.</summary>
    public static string SchemaText => Schema.Value;

    /// <summary>Parses and validates a manifest; throws <see cref="ModelPackException"/> naming every broken rule (up to five).</summary>
    public static PackManifest Parse(ReadOnlySpan<byte> utf8Json)
    {
        var problems = PackManifestValidator.Validate(utf8Json);
        if (problems.Count > 0)
        {
            string shown = string.Join("; ", problems.Take(5));
            string more = problems.Count > 5 ? $"; and {problems.Count - 5} more" : "";
            throw new ModelPackException($"{FileName} is invalid: {shown}{more}.");
        }

        try
        {
            return JsonSerializer.Deserialize<PackManifest>(utf8Json, ReadOptions)
                ?? throw new ModelPackException($"{FileName} is invalid: it is null.");
        }
        catch (JsonException e)
        {
            // The validator checks every rule first, so this is a defence in depth, not an expected path.
            throw new ModelPackException($"{FileName} is invalid: {e.Message}", e);
        }
    }

    /// <summary>Reads a manifest file with the size limit, parses and validates it.</summary>
    /// <exception cref="ModelPackException">The file is too large, unreadable or invalid.</exception>
    public static PackManifest ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > PackManifestValidator.MaxManifestBytes)
            {
                throw new ModelPackException($"{FileName} is {stream.Length} bytes, more than the {PackManifestValidator.MaxManifestBytes} allowed.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (IOException e)
        {
            throw new ModelPackException($"Cannot read {path}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelPackException($"Cannot read {path}: {e.Message}", e);
        }

        return Parse(bytes);
    }

    /// <summary>
    /// Writes <paramref name="manifest"/> as indented UTF-8 JSON (camelCase, nulls omitted) and checks the result
    /// against the schema, so a writer cannot produce a pack the store would refuse.
    /// </summary>
    /// <exception cref="ModelPackException">The manifest breaks a rule; the message names it.</exception>
    public static byte[] Serialize(PackManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, WriteOptions);
        _ = Parse(json);
        return json;
    }
}

/// <summary>Serialisation metadata of <see cref="PackManifest"/>, generated at build time (camelCase, as the reader's options).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PackManifest))]
internal sealed partial class PackManifestJsonContext : JsonSerializerContext;

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>Builds <c>.cpack</c> files for the tests: a manifest as editable JSON and the pack's other files.</summary>
internal sealed class PackBuilder
{
    private PackBuilder(JsonObject manifest, byte[] weights)
    {
        Manifest = manifest;
        Files["weights.safetensors"] = weights;
    }

    public JsonObject Manifest { get; }

    /// <summary>Every file but manifest.json, by path inside the pack.</summary>
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>When true (the default), the manifest's sha256 values are recomputed from <see cref="Files"/> on build.</summary>
    public bool AutoHash { get; set; } = true;

    /// <summary>A pack for the test "echo" engine (architecture echo-net v1; weights start with ECHO).</summary>
    public static PackBuilder Echo(string id = "echo-pack", string version = "1.0.0", string weights = "ECHO weights") =>
        new(BaseManifest(id, version, "echo-net", new JsonObject(), ">=1.0.0 <2.0.0", 64, "F32"), Encoding.ASCII.GetBytes(weights));

    /// <summary>A small pix2pix U-Net pack (numDowns 5, ngf 8) for the real engine.</summary>
    public static PackBuilder Pix2Pix(string id = "tiny-unet", string version = "1.0.0", Action<List<SafeTensorsWriter.Tensor>>? mutate = null, string engineRange = ">=0.0.0", string dtype = "F32")
    {
        var tensors = Pix2PixWeights.Create();
        if (dtype != "F32")
        {
            tensors = [.. tensors.Select(t => t.DType == "F32" ? t with { DType = dtype } : t)];
        }

        mutate?.Invoke(tensors);
        var hyper = new JsonObject { ["numDowns"] = 5, ["ngf"] = 8 };
        return new PackBuilder(BaseManifest(id, version, "pix2pix-unet", hyper, engineRange, 64, dtype), SafeTensorsWriter.Write(tensors));
    }

    public static JsonObject BaseManifest(string id, string version, string architecture, JsonObject hyperparameters, string engineRange, int renderSize, string dtype) => new()
    {
        ["schema"] = 1,
        ["id"] = id,
        ["version"] = version,
        ["name"] = $"Test pack {id}",
        ["description"] = "Built by the Colorize.Plugins tests.",
        ["architecture"] = new JsonObject { ["name"] = architecture, ["version"] = 1, ["hyperparameters"] = hyperparameters },
        ["input"] = new JsonObject { ["colorSpace"] = "lab", ["normalisation"] = "l/50-1,ab/110", ["defaultRenderSize"] = renderSize, ["minRenderSize"] = 32, ["maxRenderSize"] = 512 },
        ["engine"] = new JsonObject { ["range"] = engineRange },
        ["training"] = new JsonObject { ["recipe"] = "pix2pix", ["data"] = new JsonArray(new JsonObject { ["name"] = "synthetic", ["license"] = "CC0-1.0", ["count"] = 10 }), ["seed"] = 1, ["epochs"] = 1 },
        ["metrics"] = new JsonObject { ["psnr"] = 21.5 },
        ["weights"] = new JsonObject { ["file"] = "weights.safetensors", ["sha256"] = new string('0', 64), ["dtype"] = dtype },
        ["license"] = "CC0-1.0",
    };

    /// <summary>Adds a file the manifest lists (model card, notice, ...).</summary>
    public PackBuilder WithListedFile(string name, string text)
    {
        Files[name] = Encoding.UTF8.GetBytes(text);
        ((Manifest["files"] ??= new JsonObject()).AsObject())[name] = Sha256(Files[name]);
        return this;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public byte[] ManifestBytes()
    {
        if (AutoHash)
        {
            string weightsFile = Manifest["weights"]!["file"]!.GetValue<string>();
            if (Files.TryGetValue(weightsFile, out var weights))
            {
                Manifest["weights"]!["sha256"] = Sha256(weights);
            }

            if (Manifest["files"] is JsonObject files)
            {
                foreach (var name in files.Select(f => f.Key).ToList())
                {
                    if (Files.TryGetValue(name, out var data))
                    {
                        files[name] = Sha256(data);
                    }
                }
            }
        }

        return Encoding.UTF8.GetBytes(Manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The manifest as the store would read it.</summary>
    public Colorize.Abstractions.Packs.PackManifest ToManifest() => Colorize.Plugins.Packs.PackManifestJson.Parse(ManifestBytes());

    /// <summary>The archive's entries: manifest.json first, then the files in name order.</summary>
    public List<RawZipEntry> Entries() =>
        [new RawZipEntry("manifest.json", ManifestBytes()), .. Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new RawZipEntry(f.Key, f.Value))];

    /// <summary>Writes the pack with System.IO.Compression's writer, as a real pack writer would.</summary>
    public string Write(string directory, string? fileName = null)
    {
        string path = Path.Combine(directory, fileName ?? $"{Manifest["id"]}-{Manifest["version"]}-{Guid.NewGuid():N}.cpack");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in Entries())
        {
            using var stream = zip.CreateEntry(entry.Name, CompressionLevel.Optimal).Open();
            stream.Write(entry.Data);
        }

        return path;
    }

    /// <summary>Writes the pack with the hand-made zip writer, after <paramref name="tamper"/> edits the entries.</summary>
    public string WriteRaw(string directory, Func<List<RawZipEntry>, IEnumerable<RawZipEntry>>? tamper = null, string? fileName = null)
    {
        string path = Path.Combine(directory, fileName ?? $"{Manifest["id"]}-{Manifest["version"]}-{Guid.NewGuid():N}.cpack");
        var entries = Entries();
        File.WriteAllBytes(path, RawZip.Build(tamper is null ? entries : tamper(entries)));
        return path;
    }
}

/// <summary>A builder's pack served from memory, for handing to an engine without a store.</summary>
internal sealed class BuilderPack(PackBuilder builder) : Colorize.Abstractions.Packs.IModelPackContent
{
    public Colorize.Abstractions.Packs.PackManifest Manifest { get; } = builder.ToManifest();

    public Stream OpenFile(string name) =>
        builder.Files.TryGetValue(name, out var data) ? new MemoryStream(data, writable: false) : throw new Colorize.Abstractions.Packs.ModelPackException($"no {name}");
}

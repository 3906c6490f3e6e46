using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer;

/// <summary>Turns a run's best checkpoint into a <c>.cpack</c> the product installs and loads.</summary>
internal static class PackWriter
{
    /// <summary>The engine versions a trainer-written pack declares: this engine family, major version 0 and 1.</summary>
    public const string EngineRange = ">=0.1.0 <2.0.0";

    public static PackManifest Write(string runDirectory, string id, string version, string outputPath, SafeTensorsDType dtype = SafeTensorsDType.F32, string license = "NOASSERTION", string? name = null)
    {
        string configPath = Path.Combine(runDirectory, "config.json");
        if (!File.Exists(configPath))
        {
            throw new TrainerException($"{runDirectory} is not a run directory (no config.json).");
        }

        if (!SemVer.TryParse(version, out _))
        {
            throw new TrainerException($"'{version}' is not a semantic version such as 1.0.0.");
        }

        var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(configPath), TrainConfig.Json)
            ?? throw new TrainerException($"{configPath} is empty.");
        string pointer = File.Exists(Path.Combine(runDirectory, "checkpoints", Checkpoints.Best)) ? Checkpoints.Best : Checkpoints.Last;
        var (state, tensors) = Checkpoints.Load(runDirectory, pointer);
        // The weights are the best epoch's; the pack still records how long the run trained (metrics name the epoch).
        int epochsTrained = Checkpoints.ReadState(runDirectory, Checkpoints.Last)?.EpochsCompleted ?? state.EpochsCompleted;
        byte[] weights = StateDictIO.ToBytes(TrainingRun.Prefixed(tensors, "g."), dtype);

        int trainCount = 0;
        string splitPath = Path.Combine(runDirectory, "split.json");
        if (File.Exists(splitPath))
        {
            using var split = JsonDocument.Parse(File.ReadAllBytes(splitPath));
            trainCount = split.RootElement.GetProperty("train").GetArrayLength();
        }

        var sources = config.DataSources.Count > 0
            ? config.DataSources
            : [new DataSource { Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(config.Data ?? "unknown")), License = "unknown", Count = trainCount }];
        var manifest = new PackManifest
        {
            Schema = PackManifest.CurrentSchema,
            Id = id,
            Version = version,
            Name = name ?? id,
            Description = $"Trained by colorize-train with recipe {config.Recipe} ({config.Generator.Name}), {epochsTrained} epochs at {config.Size} px (weights of epoch {state.EpochsCompleted}, the best by validation PSNR).",
            Architecture = config.Generator,
            Input = new InputSpec { DefaultRenderSize = Math.Max(config.Size, 64), MinRenderSize = 64 },
            Engine = new EngineRequirement { Range = EngineRange },
            Training = new TrainingInfo { Recipe = config.Recipe, Data = sources, Seed = config.Seed, Epochs = epochsTrained },
            Metrics = state.Metrics,
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = dtype.ToHeaderName() },
            License = license,
        };

        string full = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp";
        using (var zip = new ZipArchive(File.Create(temp), ZipArchiveMode.Create))
        {
            AddEntry(zip, PackManifestJson.FileName, PackManifestJson.Serialize(manifest));
            AddEntry(zip, manifest.Weights.File, weights);
        }

        File.Move(temp, full, overwrite: true);
        return manifest;
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        // Fixed timestamps keep the archive reproducible.
        entry.LastWriteTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var stream = entry.Open();
        stream.Write(content);
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer;

/// <summary>How <see cref="PackWriter"/> writes a pack.</summary>
internal sealed record PackOptions
{
    /// <summary>Storage type of the weights (F16 halves the size; the engine computes in F32 either way).</summary>
    public SafeTensorsDType DType { get; init; } = SafeTensorsDType.F32;

    /// <summary>SPDX licence expression of the weights.</summary>
    public string License { get; init; } = "NOASSERTION";

    /// <summary>Display name; null uses the id.</summary>
    public string? Name { get; init; }

    /// <summary><c>best</c> (the best validation PSNR, falling back to last), <c>last</c>, or <c>epoch-N</c> (a checkpoint kept by keepEveryEpochs).</summary>
    public string Checkpoint { get; init; } = "best";

    /// <summary>The render size the pack recommends; null uses the training size.</summary>
    public int? RenderSize { get; init; }

    /// <summary>The manifest's <c>input.chromaGain</c> (null: none, i.e. 1), measured on validation photos.</summary>
    public double? ChromaGain { get; init; }

    /// <summary>A MODEL_CARD.md to ship inside the pack (listed with its sha256 in the manifest).</summary>
    public string? ModelCard { get; init; }

    /// <summary>Write an unpacked pack folder (manifest.json, weights, card) instead of a .cpack archive.</summary>
    public bool AsFolder { get; init; }
}

/// <summary>Turns a run's best (or last) checkpoint into a <c>.cpack</c> or a pack folder the product installs and loads.</summary>
internal static class PackWriter
{
    /// <summary>The engine versions a trainer-written pack declares: this engine family, major version 0 and 1.</summary>
    public const string EngineRange = ">=0.1.0 <2.0.0";

    public static PackManifest Write(string runDirectory, string id, string version, string outputPath, SafeTensorsDType dtype = SafeTensorsDType.F32, string license = "NOASSERTION", string? name = null)
        => Write(runDirectory, id, version, outputPath, new PackOptions { DType = dtype, License = license, Name = name });

    /// <summary>
    /// The storage type of each tensor: <paramref name="dtype"/>, except BatchNorm running statistics, which stay F32
    /// (an ImageNet encoder's first variance exceeds F16's 65504; the engine accepts F32 statistics in any pack). A
    /// weight that does not fit the chosen type is refused instead of being written as infinity.
    /// </summary>
    internal static Func<string, SafeTensorsDType> StorageType(IReadOnlyDictionary<string, Tensor> tensors, SafeTensorsDType dtype)
    {
        if (dtype == SafeTensorsDType.F16)
        {
            foreach (var (name, tensor) in tensors)
            {
                if (!Colorize.Engine.Packs.WeightsLoader.IsRunningStatistic(name) && !name.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                    && tensor.Data.ToArray().Any(v => Math.Abs(v) > (float)Half.MaxValue))
                {
                    throw new TrainerException($"Tensor '{name}' holds values beyond float16's range (±65504); pack it with --dtype f32 or bf16.");
                }
            }
        }

        return name => dtype != SafeTensorsDType.F32 && Colorize.Engine.Packs.WeightsLoader.IsRunningStatistic(name) ? SafeTensorsDType.F32 : dtype;
    }

    public static PackManifest Write(string runDirectory, string id, string version, string outputPath, PackOptions options)
    {
        var dtype = options.DType;
        int? keptEpoch = options.Checkpoint.StartsWith("epoch-", StringComparison.Ordinal)
            && int.TryParse(options.Checkpoint.AsSpan("epoch-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int e) ? e : null;
        if (options.Checkpoint is not ("best" or "last") && keptEpoch is null)
        {
            throw new TrainerException($"--checkpoint must be best, last or epoch-<n> (a kept checkpoint), got '{options.Checkpoint}'.");
        }

        if (options.ChromaGain is { } gain && !(gain >= 0.25 && gain <= 4))
        {
            throw new TrainerException($"--chroma-gain must be from 0.25 to 4, got {gain}.");
        }

        if (options.RenderSize is < 64 or > 4096)
        {
            throw new TrainerException($"--render-size must be from 64 to 4096, got {options.RenderSize}.");
        }

        byte[]? card = options.ModelCard is null ? null
            : File.Exists(options.ModelCard) ? File.ReadAllBytes(options.ModelCard) : throw new TrainerException($"{options.ModelCard} does not exist.");
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
        string pointer = keptEpoch is { } kept
            ? Checkpoints.KeptEpochs(runDirectory).Contains(kept) ? Checkpoints.KeptPointer(kept)
                : throw new TrainerException($"{runDirectory} has no kept checkpoint of epoch {kept}; kept epochs: {string.Join(", ", Checkpoints.KeptEpochs(runDirectory).DefaultIfEmpty())}.")
            : options.Checkpoint == "best" && File.Exists(Path.Combine(runDirectory, "checkpoints", Checkpoints.Best)) ? Checkpoints.Best : Checkpoints.Last;
        var (state, tensors) = Checkpoints.Load(runDirectory, pointer);
        // The weights are the best epoch's; the pack still records how long the run trained (metrics name the epoch).
        int epochsTrained = Checkpoints.ReadState(runDirectory, Checkpoints.Last)?.EpochsCompleted ?? state.EpochsCompleted;
        var generator = TrainingRun.Prefixed(tensors, "g.");
        byte[] weights = StateDictIO.ToBytes(generator, StorageType(generator, dtype));

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
            Name = options.Name ?? id,
            Description = $"Trained by colorize-train with recipe {config.Recipe} ({config.Generator.Name}), {epochsTrained} epochs at {config.Size} px (weights of epoch {state.EpochsCompleted}{(pointer == Checkpoints.Best ? ", the best by validation PSNR" : pointer == Checkpoints.Last ? ", the last" : "")}).",
            Architecture = config.Generator,
            Input = new InputSpec { DefaultRenderSize = options.RenderSize ?? Math.Max(config.Size, 64), MinRenderSize = 64, ChromaGain = options.ChromaGain, Hints = HintSimulation.ArchitectureTakesHints(config.Generator) },
            Engine = new EngineRequirement { Range = EngineRange },
            Training = new TrainingInfo { Recipe = config.Recipe, Data = sources, Seed = config.Seed, Epochs = epochsTrained },
            Metrics = state.Metrics,
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = dtype.ToHeaderName() },
            License = options.License,
            Files = card is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { [ModelCardFile] = Convert.ToHexStringLower(SHA256.HashData(card)) },
        };

        var files = new List<(string Name, byte[] Content)> { (PackManifestJson.FileName, PackManifestJson.Serialize(manifest)), (manifest.Weights.File, weights) };
        if (card is not null)
        {
            files.Add((ModelCardFile, card));
        }

        if (options.AsFolder)
        {
            WriteFolder(outputPath, files);
            return manifest;
        }

        string full = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp";
        try
        {
            using (var zip = new ZipArchive(File.Create(temp), ZipArchiveMode.Create))
            {
                foreach (var (entryName, content) in files)
                {
                    AddEntry(zip, entryName, content);
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            AtomicFile.DeleteQuietly(temp);
            throw;
        }

        return manifest;
    }

    /// <summary>The model card's name inside a pack (docs/DESIGN.md, "Model packs").</summary>
    public const string ModelCardFile = "MODEL_CARD.md";

    /// <summary>Writes the pack unpacked into <paramref name="folder"/>, replacing it atomically (a sibling temp folder, then renames).</summary>
    private static void WriteFolder(string folder, List<(string Name, byte[] Content)> files)
    {
        string full = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var (name, content) in files)
            {
                File.WriteAllBytes(Path.Combine(temp, name), content);
            }
        }
        catch
        {
            // A full disk must not leave a half-written pack folder beside the one asked for.
            AtomicFile.DeleteQuietly(temp);
            throw;
        }

        string? old = null;
        if (Directory.Exists(full))
        {
            old = full + ".old-" + Guid.NewGuid().ToString("N")[..8];
            Directory.Move(full, old);
        }

        Directory.Move(temp, full);
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
        }
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

using System.Text.Json;
using System.Text.Json.Serialization;
using Colorize.Abstractions.Packs;

namespace Colorize.Trainer;

/// <summary>A training split: the shares of photos for training and validation (the rest is the test set).</summary>
internal sealed record SplitConfig(double Train = 0.70, double Validation = 0.15);

/// <summary>
/// Everything a run needs, read from a recipe file and overridden by command-line flags; written to the run
/// directory as <c>config.json</c> so a resumed run trains exactly the same model.
/// </summary>
internal sealed record TrainConfig
{
    public required string Recipe { get; init; }
    public string? Description { get; init; }
    public required ArchitectureSpec Generator { get; init; }
    public ArchitectureSpec? Discriminator { get; init; }
    public int Size { get; init; } = 128;
    public int Epochs { get; init; } = 10;
    public int Batch { get; init; } = 8;
    public long Seed { get; init; } = 1;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.999;
    public float L1Weight { get; init; } = 1f;
    public float RealLabel { get; init; } = 1f;
    public double CropScaleMin { get; init; } = 0.6;
    public double CacheScale { get; init; } = 1.25;
    public SplitConfig Split { get; init; } = new();
    /// <summary>Also checkpoint every this many steps inside an epoch (0: only at the end of each epoch).</summary>
    public int CheckpointEverySteps { get; init; }
    public IReadOnlyList<DataSource> DataSources { get; init; } = [];
    /// <summary>The photo folder (filled from --data).</summary>
    public string? Data { get; init; }
    /// <summary>Optional degradation of the training inputs' L (null: off); see <see cref="NoiseConfig"/>.</summary>
    public NoiseConfig? Noise { get; init; }
    /// <summary>Optional learning-rate decay when a validation metric stops improving (null: constant rate).</summary>
    public LrPlateauConfig? LrDecayOnPlateau { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Checks the values a person may have mistyped; throws <see cref="TrainerException"/> with the reason.</summary>
    public TrainConfig Validate()
    {
        Require(Size is >= 16 and <= 1024, $"size must be from 16 to 1024 pixels, got {Size}.");
        Require(Epochs is >= 1 and <= 100_000, $"epochs must be from 1 to 100000, got {Epochs}.");
        Require(CheckpointEverySteps >= 0, $"checkpointEverySteps must not be negative, got {CheckpointEverySteps}.");
        Require(Batch is >= 1 and <= 1024, $"batch must be from 1 to 1024, got {Batch}.");
        Require(LearningRate is > 0 and < 1, $"learningRate must be in (0, 1), got {LearningRate}.");
        Require(CropScaleMin is > 0 and <= 1, $"cropScaleMin must be in (0, 1], got {CropScaleMin}.");
        Require(CacheScale is >= 1 and <= 4, $"cacheScale must be from 1 to 4, got {CacheScale}.");
        Require(RealLabel is > 0.5f and <= 1f, $"realLabel must be in (0.5, 1], got {RealLabel}.");
        Require(Split.Train > 0 && Split.Validation >= 0 && Split.Train + Split.Validation <= 1, "split shares must be positive and add up to at most 1.");
        Noise?.Validate();
        LrDecayOnPlateau?.Validate();
        return this;
    }

    internal static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new TrainerException(message);
        }
    }
}

/// <summary>The recipes checked in under Recipes/ and embedded in the tool.</summary>
internal static class RecipeCatalog
{
    public static IReadOnlyList<string> Names =>
        [.. typeof(RecipeCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Recipes.", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => n["Recipes.".Length..^".json".Length])
            .Order(StringComparer.Ordinal)];

    public static TrainConfig Load(string name)
    {
        using var stream = typeof(RecipeCatalog).Assembly.GetManifestResourceStream($"Recipes.{name}.json")
            ?? throw new TrainerException($"Unknown recipe '{name}'; known recipes: {string.Join(", ", Names)}.");
        return JsonSerializer.Deserialize<TrainConfig>(stream, TrainConfig.Json)
            ?? throw new TrainerException($"Recipe '{name}' is empty.");
    }
}

/// <summary>A problem with the user's input or run directory, reported as one readable line.</summary>
internal sealed class TrainerException(string message, Exception? inner = null) : Exception(message, inner);

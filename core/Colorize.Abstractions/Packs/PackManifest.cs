using System.Text.Json;
using System.Text.Json.Serialization;

namespace Colorize.Abstractions.Packs;

/// <summary>
/// The <c>manifest.json</c> of a model pack (<c>.cpack</c>), schema 1. Property names are camelCase in JSON.
/// </summary>
public sealed record PackManifest
{
    /// <summary>The manifest schema version this record describes.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Manifest schema version (1).</summary>
    public required int Schema { get; init; }

    /// <summary>Pack identifier: lower-case letters, digits and dashes, e.g. "colorize-base".</summary>
    public required string Id { get; init; }

    /// <summary>Semantic version of the pack, e.g. "1.2.0".</summary>
    public required string Version { get; init; }

    /// <summary>Human-readable name.</summary>
    public required string Name { get; init; }

    /// <summary>What the model is good at, in a sentence or two.</summary>
    public string? Description { get; init; }

    /// <summary>The network that the weights belong to.</summary>
    public required ArchitectureSpec Architecture { get; init; }

    /// <summary>How images are fed to the network.</summary>
    public required InputSpec Input { get; init; }

    /// <summary>The engine versions that can run the pack.</summary>
    public required EngineRequirement Engine { get; init; }

    /// <summary>How the model was trained.</summary>
    public TrainingInfo? Training { get; init; }

    /// <summary>Validation metrics (PSNR, colourfulness, …) by name.</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }

    /// <summary>The weights file.</summary>
    public required WeightsSpec Weights { get; init; }

    /// <summary>Licence of the weights (SPDX identifier or text).</summary>
    public required string License { get; init; }

    /// <summary>Other files in the pack with their sha256 (model card, notice, preview).</summary>
    public IReadOnlyDictionary<string, string>? Files { get; init; }
}

/// <summary>Architecture name, version and hyperparameters.</summary>
public sealed record ArchitectureSpec
{
    /// <summary>Architecture name, e.g. "pix2pix-unet".</summary>
    public required string Name { get; init; }

    /// <summary>Architecture version.</summary>
    public required int Version { get; init; }

    /// <summary>Hyperparameters (depth, width, …) as JSON values.</summary>
    public IReadOnlyDictionary<string, JsonElement> Hyperparameters { get; init; } = new Dictionary<string, JsonElement>();
}

/// <summary>Input conventions of the network.</summary>
public sealed record InputSpec
{
    /// <summary>"lab" (L in, ab out).</summary>
    public string ColorSpace { get; init; } = "lab";

    /// <summary>"l/50-1,ab/110" (the pix2pix/tutorial normalisation).</summary>
    public string Normalisation { get; init; } = "l/50-1,ab/110";

    /// <summary>Default render size (short side, px).</summary>
    public required int DefaultRenderSize { get; init; }

    /// <summary>Smallest sensible render size.</summary>
    public int MinRenderSize { get; init; } = 64;

    /// <summary>Largest sensible render size.</summary>
    public int MaxRenderSize { get; init; } = 2048;

    /// <summary>
    /// Factor on the network's ab before the user's strength (null, absent from the manifest: 1). A calibration the trainer measures on
    /// validation photos: a network trained towards the mean colour (L1, feature losses) predicts colours that are
    /// right in hue but shrunk towards grey, and scaling them back up makes them both closer to the truth and livelier.
    /// </summary>
    public double? ChromaGain { get; init; }

    /// <summary>
    /// True when the network takes colour hints (contract 1.2): besides L it reads an ab hint plane and a mask plane at the
    /// render size. Absent or false: the pack colorizes automatically only. Written only when true, so that packs
    /// without hints stay readable by hosts built against contract 1.0/1.1, whose manifest check refuses unknown fields.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Hints { get; init; }
}

/// <summary>Which engine versions can run the pack.</summary>
public sealed record EngineRequirement
{
    /// <summary>Semver range such as "&gt;=0.1.0 &lt;2.0.0".</summary>
    public required string Range { get; init; }
}

/// <summary>Training provenance, recorded by the trainer.</summary>
public sealed record TrainingInfo
{
    /// <summary>Recipe name, e.g. "resnet-unet-nogan".</summary>
    public string? Recipe { get; init; }

    /// <summary>Data sources with their licences.</summary>
    public IReadOnlyList<DataSource>? Data { get; init; }

    /// <summary>Random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Epochs trained.</summary>
    public int? Epochs { get; init; }
}

/// <summary>One training data source.</summary>
public sealed record DataSource
{
    /// <summary>Where the photos came from (e.g. a Debian package).</summary>
    public required string Name { get; init; }

    /// <summary>Their licence.</summary>
    public required string License { get; init; }

    /// <summary>How many photos were used.</summary>
    public int? Count { get; init; }
}

/// <summary>The weights file of a pack.</summary>
public sealed record WeightsSpec
{
    /// <summary>File name inside the pack, normally "weights.safetensors".</summary>
    public string File { get; init; } = "weights.safetensors";

    /// <summary>Lower-case hex sha256 of the file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Storage type: "F32", "F16" or "BF16".</summary>
    [JsonPropertyName("dtype")]
    public string DType { get; init; } = "F32";
}

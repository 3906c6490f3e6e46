using System.Globalization;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Onnx;
using Colorize.Onnx.Writing;
using Colorize.Tensors;

namespace Colorize.Trainer.Export;

/// <summary>A generator with its weights, ready to export: from a pack, a .cpack or a run's checkpoint.</summary>
/// <param name="Architecture">The manifest's (or run config's) architecture.</param>
/// <param name="Built">The network in eval mode with the weights loaded (BatchNorm not folded: the state-dict names are the weights' names).</param>
/// <param name="ChromaGain">The pack's <c>input.chromaGain</c> (1 without one).</param>
/// <param name="Source">For messages and metadata: <c>pack id@version</c> or <c>run dir (epoch n)</c>.</param>
internal sealed record ExportSource(ArchitectureSpec Architecture, BuiltArchitecture Built, double ChromaGain, string Source);

/// <summary>What <see cref="OnnxExport.Write"/> wrote.</summary>
internal sealed record ExportResult(string Path, long Bytes, int Nodes, int Stride, bool TakesHints, string Source);

/// <summary>
/// <c>colorize-train export</c>: a generator as an ONNX model (opset 17, IR 8) that takes CIE L* and gives CIE a*b*,
/// with the pack's normalisation, tanh·110 and chroma gain inside and dynamic batch, height and width.
/// </summary>
/// <remarks>
/// The contract is in raw Lab units rather than the engine's normalised tensors so that a caller needs nothing from
/// the manifest: L* in 0–100 goes in, a* and b* as the pack colours them (strength 1) come out. The graph does not
/// resize or pad: height and width must be multiples of the network's stride (metadata <c>colorize.stride</c>).
/// </remarks>
internal static class OnnxExport
{
    /// <summary>The L* input: N×1×H×W, 0–100.</summary>
    public const string InputL = "L";

    /// <summary>The hint input of a hint network: N×3×H×W, hint a*, hint b* (Lab units, 0 where no hint) and a 0/1 mask.</summary>
    public const string InputHints = "hints";

    /// <summary>The a*b* output: N×2×H×W.</summary>
    public const string OutputAb = "ab";

    /// <summary>The architectures with an ONNX export (every generator the engine ships).</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["pix2pix-unet", "unet-classic", "resnet-unet"];

    /// <summary>Opens a pack folder, a .cpack or a run directory (its best checkpoint, else its last) for export.</summary>
    public static ExportSource Open(string spec)
    {
        if (Directory.Exists(spec) && File.Exists(Path.Combine(spec, "config.json")) && Directory.Exists(Path.Combine(spec, "checkpoints")))
        {
            return OpenRun(spec);
        }

        if (!File.Exists(spec) && !Directory.Exists(spec))
        {
            throw new TrainerException($"export: '{spec}' does not exist (a pack folder, a .cpack or a run directory).");
        }

        // Opened with every check the product makes: a folder's files against the manifest's sha256, a .cpack
        // installed into a temporary store, the engine's compatibility, then the weights against the architecture.
        var engine = new CpuColorizerEngine();
        using var opened = Evaluation.OpenPack(spec, engine);
        var manifest = opened.Pack.Manifest;
        var compatibility = engine.CheckCompatibility(manifest);
        if (!compatibility.IsCompatible)
        {
            throw new ModelPackException($"pack {manifest.Id}@{manifest.Version}: {compatibility.Reason}.");
        }

        CheckExportable(manifest.Architecture);
        var built = ArchitectureRegistry.Build(manifest.Architecture, ArchitectureRole.Generator);
        if (built.TakesHints != manifest.Input.Hints)
        {
            throw new ModelPackException($"pack {manifest.Id}@{manifest.Version}: input.hints does not match the architecture's hints hyperparameter.");
        }

        built.Module.LoadStateDict(WeightsLoader.Read(opened.Pack, built.Module));
        built.Module.Eval();
        return new ExportSource(manifest.Architecture, built, manifest.Input.ChromaGain ?? 1, $"pack {manifest.Id}@{manifest.Version}");
    }

    private static ExportSource OpenRun(string run)
    {
        string configPath = Path.Combine(run, "config.json");
        var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(configPath), TrainConfig.Json)
            ?? throw new TrainerException($"{configPath} is empty.");
        CheckExportable(config.Generator);
        string pointer = File.Exists(Path.Combine(run, "checkpoints", Checkpoints.Best)) ? Checkpoints.Best : Checkpoints.Last;
        var (state, tensors) = Checkpoints.Load(run, pointer);
        var built = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator);
        try
        {
            built.Module.LoadStateDict(TrainingRun.Prefixed(tensors, "g."));
        }
        catch (Colorize.Tensors.NN.StateDictException e)
        {
            throw new TrainerException($"export: the checkpoint of {run} does not fit its config's generator: {e.Message}", e);
        }

        built.Module.Eval();
        return new ExportSource(config.Generator, built, 1, string.Create(CultureInfo.InvariantCulture,
            $"run {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(run)))} ({(pointer == Checkpoints.Best ? "best" : "last")} checkpoint, epoch {state.EpochsCompleted})"));
    }

    /// <summary>Refuses an architecture without an exporter in one line, before any weights are read.</summary>
    public static void CheckExportable(ArchitectureSpec spec)
    {
        if (!Architectures.Contains(spec.Name) || spec.Version != 1)
        {
            throw new TrainerException($"export: architecture '{spec.Name}' version {spec.Version} has no ONNX export; exportable: {string.Join(", ", Architectures.Select(a => a + " v1"))}.");
        }
    }

    /// <summary>Builds the ONNX model of <paramref name="source"/> and writes it atomically to <paramref name="path"/>.</summary>
    public static ExportResult Write(ExportSource source, string path)
    {
        var (builder, metadata) = Build(source);
        long bytes;
        try
        {
            bytes = builder.Save(path, metadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainerException($"export: cannot write {path}: {e.Message}", e);
        }

        return new ExportResult(path, bytes, builder.NodeCount, source.Built.Stride, source.Built.TakesHints, source.Source);
    }

    /// <summary>The model as bytes (tests run it in ONNX Runtime straight from memory).</summary>
    public static byte[] ToBytes(ExportSource source)
    {
        var (builder, metadata) = Build(source);
        return builder.ToBytes(metadata);
    }

    /// <summary>
    /// The graph: L·(1/50) − 1 (the engine's own Mul and Add, so the first layer sees the same bits), the network, then
    /// tanh·(110·chroma gain). A hint network's hint planes are divided by (110·gain, 110·gain, 1), as the engine's HintPlanes.
    /// </summary>
    public static (OnnxGraphBuilder Builder, OnnxModelMetadata Metadata) Build(ExportSource source)
    {
        var spec = source.Architecture;
        CheckExportable(spec);
        var b = new OnnxGraphBuilder($"colorize_{spec.Name.Replace('-', '_')}");
        var g = new GeneratorGraph(source.Built.Module, b);
        OnnxDimension[] Dims(int channels) => [new(null, "batch"), new(channels, null), new(null, "height"), new(null, "width")];

        int stride = source.Built.Stride;
        b.AddInput(InputL, OnnxElementType.Float, Dims(1), "CIE L* (D65), 0-100; height and width multiples of " + stride.ToString(CultureInfo.InvariantCulture));
        string l = b.AddNode("Add", [b.AddNode("Mul", [InputL, b.AddScalar("l_scale", 1f / 50f)], "l_norm"), b.AddScalar("l_offset", -1f)], "l_norm");
        string? hints = null;
        if (source.Built.TakesHints)
        {
            b.AddInput(InputHints, OnnxElementType.Float, Dims(ResNetUnet.HintChannels), "hint a*, hint b* (Lab units, 0 where no hint), mask (1 where hinted, else 0)");
            // As HintPlanes: a and b divided by the chroma gain and 110 (the gain scales the network's colours after
            // it, so a hint enters shrunk by it and comes out as picked), the mask as it is.
            float hintScale = (float)(Colorize.Engine.Pipeline.ColorizationPipeline.AbScale * source.ChromaGain);
            hints = b.AddNode("Div", [InputHints, b.AddInitializer("hint_scale", [hintScale, hintScale, 1f], [1, 3, 1, 1])], "hints_norm");
        }

        var classes = (source.Built.Module as ResNetUnet)?.ClassHead;
        string decode = classes is null ? "tanh(network)" : "the annealed mean of the network's ab classes (softmax(logits / T) · bin centres / 110)";
        string tanh = spec.Name switch
        {
            "pix2pix-unet" => Pix2PixExport.Emit(g, l),
            "unet-classic" => ClassicUnetExport.Emit(g, l),
            _ => ResNetUnetExport.Emit(g, l, hints, classes),
        };
        g.CheckAllUsed(spec.Name);

        float abScale = Colorize.Engine.Pipeline.ColorizationPipeline.AbScale * (float)source.ChromaGain;
        b.AddNode("Mul", [tanh, b.AddScalar("ab_scale", abScale)], OutputAb);
        b.AddOutput(OutputAb, OnnxElementType.Float, Dims(2), $"CIE a*, b* = 110 x chroma gain x {decode}");

        string hyper = JsonSerializer.Serialize(spec.Hyperparameters ?? new Dictionary<string, JsonElement>());
        string gain = source.ChromaGain.ToString("R", CultureInfo.InvariantCulture);
        var metadata = new OnnxModelMetadata
        {
            ProducerName = "colorize-train",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "",
            Domain = "org.colorize",
            ModelVersion = 1,
            DocString = string.Create(CultureInfo.InvariantCulture, $"""
                Colorize generator '{spec.Name}' v{spec.Version} ({source.Source}), exported by colorize-train.
                Input '{InputL}': float32 N x 1 x H x W, CIE L* (D65) from 0 to 100; H and W must be multiples of {stride} (pad with replicated edges).
                """) + (hints is null ? "" : $"\nInput '{InputHints}': float32 N x 3 x H x W: hint a*, hint b* in Lab units, the colour wanted (0 where there is no hint; divided inside by 110 x the chroma gain), and a mask (1 where hinted, else 0).")
                + string.Create(CultureInfo.InvariantCulture, $"""

                Output '{OutputAb}': float32 N x 2 x H x W, CIE a* and b* = {abScale:R} x {decode} of L/50 - 1 (110 x the pack's chroma gain {gain}), the colours at strength 1; with the input L they give the Lab colour photo.
                """),
            Properties =
            [
                new("colorize.architecture", spec.Name),
                new("colorize.architectureVersion", spec.Version.ToString(CultureInfo.InvariantCulture)),
                new("colorize.hyperparameters", hyper),
                new("colorize.stride", stride.ToString(CultureInfo.InvariantCulture)),
                new("colorize.hints", hints is null ? "false" : "true"),
                new("colorize.chromaGain", gain),
                new("colorize.source", source.Source),
                new("colorize.io", "L: L* 0-100 in; ab: a*b* out (normalisation l/50-1, ab/110 and tanh inside)"),
            ],
        };
        return (b, metadata);
    }
}

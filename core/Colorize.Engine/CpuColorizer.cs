using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Engine.Pipeline;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine;

/// <summary>A loaded generator ready to colorize: weights validated, eval mode, optimised for inference (spectral norm materialised, BatchNorm folded into the convolutions).</summary>
public sealed class CpuColorizer : IColorizer
{
    private readonly Module<Tensor, Tensor> _network;
    private readonly int _stride;
    private readonly int _heavyOps;
    private bool _disposed;

    private CpuColorizer(PackManifest manifest, Module<Tensor, Tensor> network, int stride, int heavyOps, bool takesHints)
    {
        Manifest = manifest;
        _network = network;
        _stride = stride;
        _heavyOps = heavyOps;
        SupportsHints = takesHints;
    }

    /// <inheritdoc/>
    public PackManifest Manifest { get; }

    /// <summary>True when the pack's network takes colour hints (its manifest's <c>input.hints</c>).</summary>
    public bool SupportsHints { get; }

    /// <summary>
    /// How hints spread after the network (<see cref="HintPropagation"/>); null turns it off, leaving the hint network
    /// alone, which <c>colorize-train eval --hint-propagation off</c> measures. Engine-internal, not part of the
    /// versioned contract (<see cref="ColorizeOptions"/>): set it before colorizing, not while another call runs.
    /// </summary>
    internal HintPropagationSettings? HintPropagation { get; set; } = HintPropagationSettings.Default;

    /// <summary>Builds the network a pack describes and loads its verified weights.</summary>
    public static CpuColorizer Create(IModelPackContent pack)
    {
        var manifest = pack.Manifest;
        // Every parameter and buffer is loaded below (strictly), so nothing is drawn to initialise them: the random
        // initialisation of the default pack's 27 M parameters took longer than reading the weights.
        var built = ArchitectureRegistry.Build(manifest.Architecture, ArchitectureRole.Generator, Generator.ForLoading());
        if (built.TakesHints != manifest.Input.Hints)
        {
            throw new ModelPackException(HintMismatch(manifest.Input.Hints));
        }

        // Strict: a pack that says it takes hints must carry the hint branch's weights (fine-tuning starts without
        // them, in the trainer, not here).
        WeightsLoader.LoadInto(pack, built.Module);
        built.Module.Eval();
        // Spectral norm's weights computed once, then BatchNorm folded into the convolutions (in the ResNet blocks
        // and stem too): the same function to rounding, fewer passes per forward.
        InferenceOptimizer.Optimize(built.Module);
        int heavyOps = built.Module.NamedModules().Count(m => m.Module is Conv2d or ConvTranspose2d);
        return new CpuColorizer(manifest, built.Module, built.Stride, heavyOps, built.TakesHints);
    }

    /// <summary>Why a manifest whose <c>input.hints</c> is <paramref name="inputHints"/> does not fit its architecture.</summary>
    internal static string HintMismatch(bool inputHints) => inputHints
        ? "input.hints is true but the architecture takes no hints (resnet-unet with hyperparameter hints: true does)"
        : "the architecture takes hints (hyperparameter hints: true) but input.hints is not true";

    /// <inheritdoc/>
    public void Colorize(PixelBuffer source, PixelBuffer destination, ColorizeOptions? options = null, IProgress<ColorizeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new ColorizeOptions();
        options.Validate();
        if (options.Hints is { Count: > 0 } && !SupportsHints)
        {
            throw new HintsNotSupportedException($"{Manifest.Id}@{Manifest.Version}");
        }

        HintPlanes.Validate(options.Hints, source.Width, source.Height);
        int renderSize = Math.Clamp(options.RenderSize ?? Manifest.Input.DefaultRenderSize, Manifest.Input.MinRenderSize, Manifest.Input.MaxRenderSize);
        if (options.Threads is { } threads)
        {
            // Results do not depend on the thread count, so concurrent callers only affect each other's speed.
            TensorOptions.NumThreads = threads;
        }

        // The pack's calibration and the user's strength both scale the predicted ab.
        double gain = Manifest.Input.ChromaGain ?? 1;
        float chroma = options.Strength * (float)gain;
        ColorizationPipeline.Run(_network, _stride, renderSize, source, destination, chroma, _heavyOps, progress,
            options.KeepOriginalLuminance, SupportsHints, options.Hints, gain, HintPropagation, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose() => _disposed = true;
}

using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Engine.Pipeline;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine;

/// <summary>A loaded generator ready to colorize: weights validated, eval mode, BatchNorm folded into the convolutions.</summary>
public sealed class CpuColorizer : IColorizer
{
    private readonly Module<Tensor, Tensor> _network;
    private readonly int _stride;
    private readonly int _heavyOps;
    private bool _disposed;

    private CpuColorizer(PackManifest manifest, Module<Tensor, Tensor> network, int stride, int heavyOps)
    {
        Manifest = manifest;
        _network = network;
        _stride = stride;
        _heavyOps = heavyOps;
    }

    /// <inheritdoc/>
    public PackManifest Manifest { get; }

    /// <summary>Builds the network a pack describes and loads its verified weights.</summary>
    public static CpuColorizer Create(IModelPackContent pack)
    {
        var manifest = pack.Manifest;
        var built = ArchitectureRegistry.Build(manifest.Architecture, ArchitectureRole.Generator);
        var weights = WeightsLoader.Read(pack, built.Module);
        built.Module.LoadStateDict(weights);
        built.Module.Eval();
        InferenceOptimizer.FoldBatchNorm(built.Module);
        int heavyOps = built.Module.NamedModules().Count(m => m.Module is Conv2d or ConvTranspose2d);
        return new CpuColorizer(manifest, built.Module, built.Stride, heavyOps);
    }

    /// <inheritdoc/>
    public void Colorize(PixelBuffer source, PixelBuffer destination, ColorizeOptions? options = null, IProgress<ColorizeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new ColorizeOptions();
        options.Validate();
        int renderSize = Math.Clamp(options.RenderSize ?? Manifest.Input.DefaultRenderSize, Manifest.Input.MinRenderSize, Manifest.Input.MaxRenderSize);
        if (options.Threads is { } threads)
        {
            // Results do not depend on the thread count, so concurrent callers only affect each other's speed.
            TensorOptions.NumThreads = threads;
        }

        // The pack's calibration and the user's strength both scale the predicted ab.
        float chroma = options.Strength * (float)(Manifest.Input.ChromaGain ?? 1);
        ColorizationPipeline.Run(_network, _stride, renderSize, source, destination, chroma, _heavyOps, progress, cancellationToken,
            options.KeepOriginalLuminance);
    }

    /// <inheritdoc/>
    public void Dispose() => _disposed = true;
}

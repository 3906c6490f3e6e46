using Colorize.Abstractions;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Pipeline;

/// <summary>
/// The colorization pipeline of the design: L at full resolution; L resized to the render size (aspect kept, padded
/// to the stride); the generator maps L/50 − 1 to tanh·110 = ab; ab is cropped, enlarged bilinearly (as PyTorch's
/// interpolate) to full resolution, scaled by the colour strength and merged with the original L (out-of-gamut colours
/// either clipped per channel or, keeping L, reduced in chroma); alpha is copied.
/// </summary>
public static class ColorizationPipeline
{
    /// <summary>The fixed Lab normalisation of every pack (manifest "l/50-1,ab/110").</summary>
    public const float LScale = 50f;

    /// <summary>ab = tanh output × 110.</summary>
    public const float AbScale = 110f;

    /// <summary>Pixels per band of L (shrinking) and of L, a and b (merge): about 12 MB of floats, whatever the photo's size.</summary>
    internal const int DefaultBandPixels = 1 << 20;

    [ThreadStatic]
    private static int t_bandPixels;

    /// <summary>
    /// The band size on this thread (tests make it small). Per thread, so tests running in parallel never see each
    /// other's setting; the bands are cut on the calling thread.
    /// </summary>
    internal static int MergeBandPixels
    {
        get => t_bandPixels > 0 ? t_bandPixels : DefaultBandPixels;
        set => t_bandPixels = value;
    }

    /// <summary>Bytes the network may allocate before a collection frees what its finished layers left (see Run, step 3).</summary>
    internal const long InferenceGarbageBytes = 64L << 20;

    /// <summary>Colorizes <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <param name="network">The generator, in eval mode.</param>
    /// <param name="stride">Input sides must be multiples of this.</param>
    /// <param name="renderSize">Short side at which the network runs.</param>
    /// <param name="source">Source pixels.</param>
    /// <param name="destination">Destination pixels (same size; may be the same buffer).</param>
    /// <param name="strength">Colour strength 0..2.</param>
    /// <param name="heavyOps">Heavy ops one forward runs (for progress); 0 if unknown.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Cancellation, checked between layers.</param>
    /// <param name="keepOriginalLuminance">
    /// True to bring out-of-gamut colours into the gamut by reducing their chroma at constant L, so the output's
    /// lightness is the source's (<see cref="ColorizeOptions.KeepOriginalLuminance"/>); false to clip per channel.
    /// </param>
    /// <param name="takesHints">The network's input is L and the three hint planes (<see cref="HintPlanes"/>).</param>
    /// <param name="hints">Colour hints in source pixels (only with <paramref name="takesHints"/>); none gives the
    /// network zero hint planes.</param>
    /// <param name="chromaGain">The pack's chroma gain (part of <paramref name="strength"/>): hints enter divided by it,
    /// so that a hinted colour comes out of the gain as itself (<see cref="HintPlanes.Rasterise"/>).</param>
    public static void Run(
        Module<Tensor, Tensor> network, int stride, int renderSize,
        PixelBuffer source, PixelBuffer destination, float strength, int heavyOps,
        IProgress<ColorizeProgress>? progress, CancellationToken cancellationToken, bool keepOriginalLuminance = true,
        bool takesHints = false, IReadOnlyList<ColorHint>? hints = null, double chromaGain = 1) =>
        Run(network, stride, renderSize, source, destination, strength, heavyOps, progress, keepOriginalLuminance,
            takesHints, hints, chromaGain, HintPropagationSettings.Default, cancellationToken);

    /// <summary>As the public Run, with the hints' propagation after the network set (null: off, the network alone).</summary>
    internal static void Run(
        Module<Tensor, Tensor> network, int stride, int renderSize,
        PixelBuffer source, PixelBuffer destination, float strength, int heavyOps,
        IProgress<ColorizeProgress>? progress, bool keepOriginalLuminance,
        bool takesHints, IReadOnlyList<ColorHint>? hints, double chromaGain, HintPropagationSettings? propagation, CancellationToken cancellationToken)
    {
        if (source.Width != destination.Width || source.Height != destination.Height)
        {
            throw new ArgumentException($"Source is {source.Width}×{source.Height} but destination is {destination.Width}×{destination.Height}.");
        }

        if (!takesHints && hints is { Count: > 0 })
        {
            throw new ArgumentException("The network takes no colour hints.", nameof(hints));
        }

        int width = source.Width, height = source.Height;
        HintPlanes.Validate(hints, width, height);
        int threads = TensorOptions.NumThreads;
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new ColorizeProgress(0, "converting"));

        // 1–2. L at the render size, normalised and padded to the stride. L is computed from the source a band at a
        // time and shrunk as it comes, never as a full-resolution plane: that plane alone is 4 bytes per pixel (1 GB at
        // 256 MP, more than an Rgb24 photo), and the merge below recomputes each band's L instead of keeping it.
        var sourceLayout = source.Format.ToInterleavedLayout();
        var geo = RenderGeometry.For(width, height, renderSize, stride);
        var lSmall = new float[geo.Width * geo.Height];
        Resampler.Resize(
            (first, count, rows) => LabConverter.ToLab(source.Memory.Span[(first * source.Stride)..], width, count, source.Stride, sourceLayout, rows, [], [], width, threads),
            width, height, lSmall, geo.Width, geo.Height, geo.Width,
            geo.Width < width ? ResampleFilter.Box : ResampleFilter.Bicubic, MergeBandPixels, threads);
        cancellationToken.ThrowIfCancellationRequested();

        var input = Tensor.Wrap(lSmall, 1, 1, geo.Height, geo.Width);
        Tensor ab;
        using (Tensor.NoGrad())
        {
            input = input.Mul(1f / LScale).Add(-1f);
            if (geo.PaddedWidth != geo.Width || geo.PaddedHeight != geo.Height)
            {
                input = Functional.Pad(input, (0, geo.PaddedWidth - geo.Width, 0, geo.PaddedHeight - geo.Height), PaddingMode.Replicate);
            }

            if (takesHints)
            {
                // Zero planes when there are no hints: what the network saw for its hint-free training samples.
                var planes = Tensor.Wrap(HintPlanes.Rasterise(hints, width, height, geo, chromaGain), 1, 3, geo.PaddedHeight, geo.PaddedWidth);
                input = Tensor.Cat([input, planes], 1);
            }

            progress?.Report(new ColorizeProgress(0.05, "network"));

            // 3. The generator, with cancellation, per-layer progress and bounded garbage. Every layer's output is a
            // new array (a 256-px render of the ResNet U-Net allocates over a gigabyte in a pass), and the GC lets such
            // garbage pile up in proportion to what survives, which here is the photo: a 256 MP photo's run peaked
            // 600 MB above the photo. A full collection after every ~64 MB of allocation keeps the garbage to about
            // that, for a few milliseconds each (little survives but the photo, and marking a byte array is free).
            int done = 0;
            long collectedAt = GC.GetTotalAllocatedBytes();
            using (ExecutionScope.Begin(
                () =>
                {
                    if (heavyOps > 0 && progress is not null)
                    {
                        progress.Report(new ColorizeProgress(0.05 + (0.85 * Math.Min(1.0, ++done / (double)heavyOps)), "network"));
                    }

                    if (GC.GetTotalAllocatedBytes() - collectedAt > InferenceGarbageBytes)
                    {
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
                        collectedAt = GC.GetTotalAllocatedBytes();
                    }
                },
                cancellationToken))
            {
                ab = network.Call(input);
            }
        }

        // The kernels' pooled working arrays are not needed again for this photo; a server should not keep them
        // between photos (the next forward pass allocates them again: a few megabytes against a photo's hundreds).
        TensorOptions.TrimPooledBuffers();
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new ColorizeProgress(0.9, "merging"));

        // 4–5. Alpha first (the merge never writes it). With hints, their propagation (step 4 of DESIGN's list). Then, band by band so no full-resolution L or ab planes are
        // needed: L of the band from the source, ab cropped and enlarged as PyTorch's bilinear interpolate does, and
        // L + strength·110·ab → sRGB, brought into the gamut (chroma reduced at constant L, or clipped per channel).
        // A band's L is read before its rows are written, so source and destination may be the same buffer.
        AlphaCopy.Copy(source, destination);
        int planeSmall = geo.PaddedWidth * geo.PaddedHeight;
        var abData = ab.Data.ToArray();
        float chromaScale = AbScale * strength;
        if (propagation is not null && hints is { Count: > 0 })
        {
            // The hints' residuals spread over their regions, stopping at edges (HintPropagation), in the output's ab
            // units: a hint is the colour the user picked whatever the strength and gain, so ab is scaled here and the
            // merge scales by 1. Without hints nothing here runs and the output is the same bits as without this step.
            var abSpan = abData.AsSpan(0, 2 * planeSmall);
            for (int i = 0; i < abSpan.Length; i++)
            {
                abSpan[i] *= chromaScale;
            }

            HintPropagation.Apply(abSpan, lSmall, geo, hints, width, height, propagation);
            chromaScale = 1f;
        }

        int bandRows = Math.Clamp(MergeBandPixels / width, 1, height);
        var lBand = GC.AllocateUninitializedArray<float>(bandRows * width);
        var aBand = GC.AllocateUninitializedArray<float>(bandRows * width);
        var bBand = GC.AllocateUninitializedArray<float>(bandRows * width);
        var layout = destination.Format.ToInterleavedLayout();
        var enlarge = BandResampler.BilinearTorch(geo.Width, geo.Height, width, height);
        for (int row = 0; row < height; row += bandRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(bandRows, height - row);
            LabConverter.ToLab(source.Memory.Span[(row * source.Stride)..], width, rows, source.Stride, sourceLayout, lBand, [], [], width, threads);
            enlarge.Resize(abData.AsSpan(0, planeSmall), geo.PaddedWidth, aBand, width, row, rows, threads);
            enlarge.Resize(abData.AsSpan(planeSmall, planeSmall), geo.PaddedWidth, bBand, width, row, rows, threads);
            LabConverter.FromLab(lBand.AsSpan(0, rows * width), aBand.AsSpan(0, rows * width), bBand.AsSpan(0, rows * width), width, rows, width,
                destination.Memory.Span[(row * destination.Stride)..], destination.Stride, layout, chromaScale, threads,
                keepOriginalLuminance ? GamutMapping.PreserveLightness : GamutMapping.Clip);
        }

        progress?.Report(new ColorizeProgress(1, "done"));
    }
}

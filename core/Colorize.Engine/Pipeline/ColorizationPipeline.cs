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

    /// <summary>Pixels per merge band: about 8 MB of a and b floats, whatever the photo's size (tests make it small).</summary>
    internal static int MergeBandPixels { get; set; } = 1 << 20;

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
    public static void Run(
        Module<Tensor, Tensor> network, int stride, int renderSize,
        PixelBuffer source, PixelBuffer destination, float strength, int heavyOps,
        IProgress<ColorizeProgress>? progress, CancellationToken cancellationToken, bool keepOriginalLuminance = true)
    {
        if (source.Width != destination.Width || source.Height != destination.Height)
        {
            throw new ArgumentException($"Source is {source.Width}×{source.Height} but destination is {destination.Width}×{destination.Height}.");
        }

        int width = source.Width, height = source.Height;
        int threads = TensorOptions.NumThreads;
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new ColorizeProgress(0, "converting"));

        // 1. L at full resolution (the only full-size float plane kept for the whole run).
        var lFull = GC.AllocateUninitializedArray<float>(checked(width * height));
        LabConverter.ToLab(source.Memory.Span, width, height, source.Stride, source.Format.ToInterleavedLayout(), lFull, [], [], width, threads);
        cancellationToken.ThrowIfCancellationRequested();

        // 2. L at the render size, normalised and padded to the stride.
        var geo = RenderGeometry.For(width, height, renderSize, stride);
        var lSmall = new float[geo.Width * geo.Height];
        Resampler.Resize(lFull, width, height, width, lSmall, geo.Width, geo.Height, geo.Width,
            geo.Width < width ? ResampleFilter.Box : ResampleFilter.Bicubic, threads);
        var input = Tensor.Wrap(lSmall, 1, 1, geo.Height, geo.Width);
        Tensor ab;
        using (Tensor.NoGrad())
        {
            input = input.Mul(1f / LScale).Add(-1f);
            if (geo.PaddedWidth != geo.Width || geo.PaddedHeight != geo.Height)
            {
                input = Functional.Pad(input, (0, geo.PaddedWidth - geo.Width, 0, geo.PaddedHeight - geo.Height), PaddingMode.Replicate);
            }

            progress?.Report(new ColorizeProgress(0.05, "network"));

            // 3. The generator, with cancellation and per-layer progress.
            int done = 0;
            using (ExecutionScope.Begin(
                heavyOps > 0 && progress is not null
                    ? () => progress.Report(new ColorizeProgress(0.05 + (0.85 * Math.Min(1.0, ++done / (double)heavyOps)), "network"))
                    : null,
                cancellationToken))
            {
                ab = network.Call(input);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new ColorizeProgress(0.9, "merging"));

        // 4–5. Alpha first (the merge never writes it). Then, band by band so no full-resolution ab planes are
        // needed: crop the padding, enlarge ab as PyTorch's bilinear interpolate does, and merge
        // L + strength·110·ab → sRGB, brought into the gamut (chroma reduced at constant L, or clipped per channel).
        AlphaCopy.Copy(source, destination);
        int planeSmall = geo.PaddedWidth * geo.PaddedHeight;
        var abData = ab.Data.ToArray();
        int bandRows = Math.Clamp(MergeBandPixels / width, 1, height);
        var aBand = GC.AllocateUninitializedArray<float>(bandRows * width);
        var bBand = GC.AllocateUninitializedArray<float>(bandRows * width);
        var layout = destination.Format.ToInterleavedLayout();
        for (int row = 0; row < height; row += bandRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(bandRows, height - row);
            Resampler.ResizeBilinearTorch(abData.AsSpan(0, planeSmall), geo.Width, geo.Height, geo.PaddedWidth, aBand, width, height, width, row, rows, threads);
            Resampler.ResizeBilinearTorch(abData.AsSpan(planeSmall, planeSmall), geo.Width, geo.Height, geo.PaddedWidth, bBand, width, height, width, row, rows, threads);
            LabConverter.FromLab(lFull.AsSpan(row * width, rows * width), aBand.AsSpan(0, rows * width), bBand.AsSpan(0, rows * width), width, rows, width,
                destination.Memory.Span[(row * destination.Stride)..], destination.Stride, layout, AbScale * strength, threads,
                keepOriginalLuminance ? GamutMapping.PreserveLightness : GamutMapping.Clip);
        }

        progress?.Report(new ColorizeProgress(1, "done"));
    }
}

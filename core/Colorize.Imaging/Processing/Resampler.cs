using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging.Processing;

/// <summary>
/// Separable image resampling (horizontal pass, then vertical) with precomputed weights, SIMD inner loops and rows
/// spread over threads; results do not depend on the thread count.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Resize(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, ResampleFilter, int)"/> and the
/// interleaved overloads reproduce PIL's <c>Image.resize</c> (Pillow's <c>Resample.c</c>): same filters, same
/// support stretching when shrinking, same tap rounding and normalisation, same pass order, and an axis whose size
/// does not change is not filtered at all. Float planes are accumulated in float (PIL accumulates "F" images in
/// double): results agree with PIL to about 1e-6 of the value range. 8-bit images use PIL's own 22-bit fixed-point
/// arithmetic and rounding, so they match PIL exactly. 16-bit images accumulate in float with a float intermediate
/// and round at the end.
/// </para>
/// <para>
/// <see cref="ResizeBilinearTorch(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, int)"/> is
/// PyTorch's <c>F.interpolate(mode='bilinear', align_corners=False, antialias=False)</c> instead, which the
/// colorization engine uses to enlarge the predicted chroma.
/// </para>
/// <para>A source containing infinities or NaN may spread them to neighbouring outputs (zero weights still multiply them).</para>
/// </remarks>
public static partial class Resampler
{
    /// <summary>Resizes a single-channel float plane the way PIL resizes an "F" image.</summary>
    /// <param name="source">Source plane.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Floats from one source row to the next.</param>
    /// <param name="destination">Destination plane.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="destinationStride">Floats from one destination row to the next.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible, or the filter is unknown.</exception>
    public static void Resize(
        ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<float> destination, int destinationWidth, int destinationHeight, int destinationStride,
        ResampleFilter filter, int maxDegreeOfParallelism = -1)
    {
        CheckPlanes(source.Length, sourceWidth, sourceHeight, sourceStride, destination.Length, destinationWidth, destinationHeight, destinationStride, 1);
        var wx = ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter);
        var wy = ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter);
        ResampleKernels.ResizeFloat(source, sourceStride, destination, destinationStride, wx, wy, 0, destinationHeight, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Resizes a single-channel float plane exactly as PyTorch's
    /// <c>F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False, antialias=False)</c>.
    /// </summary>
    /// <remarks>
    /// Each output samples the source at (i + 0.5)·in/out − 0.5 (clamped at 0) between its two neighbours, with no
    /// antialiasing: meant for enlarging (e.g. the predicted ab planes). Agrees with PyTorch to about 1e-6 of the
    /// value range.
    /// </remarks>
    /// <param name="source">Source plane.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Floats from one source row to the next.</param>
    /// <param name="destination">Destination plane.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="destinationStride">Floats from one destination row to the next.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible.</exception>
    public static void ResizeBilinearTorch(
        ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<float> destination, int destinationWidth, int destinationHeight, int destinationStride,
        int maxDegreeOfParallelism = -1)
    {
        CheckPlanes(source.Length, sourceWidth, sourceHeight, sourceStride, destination.Length, destinationWidth, destinationHeight, destinationStride, 1);
        var wx = ResampleWeights.ForTorchBilinear(sourceWidth, destinationWidth);
        var wy = ResampleWeights.ForTorchBilinear(sourceHeight, destinationHeight);
        ResampleKernels.ResizeFloat(source, sourceStride, destination, destinationStride, wx, wy, 0, destinationHeight, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Computes only output rows [<paramref name="destinationRowStart"/>, <paramref name="destinationRowStart"/> +
    /// <paramref name="destinationRowCount"/>) of
    /// <see cref="Resize(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, ResampleFilter, int)"/>, with
    /// exactly the same values: lets a caller stream a large result band by band instead of holding all of it.
    /// </summary>
    /// <param name="source">Source plane.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Floats from one source row to the next.</param>
    /// <param name="destinationRows">Receives the band; its row 0 is output row <paramref name="destinationRowStart"/>.</param>
    /// <param name="destinationWidth">Width of the whole output in pixels.</param>
    /// <param name="destinationHeight">Height of the whole output in pixels.</param>
    /// <param name="destinationStride">Floats from one band row to the next.</param>
    /// <param name="destinationRowStart">First output row to compute.</param>
    /// <param name="destinationRowCount">Number of output rows to compute.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or row range is impossible, or the filter is unknown.</exception>
    public static void Resize(
        ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<float> destinationRows, int destinationWidth, int destinationHeight, int destinationStride,
        int destinationRowStart, int destinationRowCount, ResampleFilter filter, int maxDegreeOfParallelism = -1)
    {
        CheckBand(source.Length, sourceWidth, sourceHeight, sourceStride, destinationRows.Length, destinationWidth, destinationHeight, destinationStride, destinationRowStart, destinationRowCount);
        var wx = ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter);
        var wy = ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter);
        ResampleKernels.ResizeFloat(source, sourceStride, destinationRows, destinationStride, wx, wy, destinationRowStart, destinationRowCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Computes only output rows [<paramref name="destinationRowStart"/>, <paramref name="destinationRowStart"/> +
    /// <paramref name="destinationRowCount"/>) of
    /// <see cref="ResizeBilinearTorch(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, int)"/>, with
    /// exactly the same values: e.g. enlarge the predicted ab planes and merge them with L one band at a time, so a
    /// 24-megapixel result never needs full-resolution ab planes.
    /// </summary>
    /// <param name="source">Source plane.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Floats from one source row to the next.</param>
    /// <param name="destinationRows">Receives the band; its row 0 is output row <paramref name="destinationRowStart"/>.</param>
    /// <param name="destinationWidth">Width of the whole output in pixels.</param>
    /// <param name="destinationHeight">Height of the whole output in pixels.</param>
    /// <param name="destinationStride">Floats from one band row to the next.</param>
    /// <param name="destinationRowStart">First output row to compute.</param>
    /// <param name="destinationRowCount">Number of output rows to compute.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or row range is impossible.</exception>
    public static void ResizeBilinearTorch(
        ReadOnlySpan<float> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<float> destinationRows, int destinationWidth, int destinationHeight, int destinationStride,
        int destinationRowStart, int destinationRowCount, int maxDegreeOfParallelism = -1)
    {
        CheckBand(source.Length, sourceWidth, sourceHeight, sourceStride, destinationRows.Length, destinationWidth, destinationHeight, destinationStride, destinationRowStart, destinationRowCount);
        var wx = ResampleWeights.ForTorchBilinear(sourceWidth, destinationWidth);
        var wy = ResampleWeights.ForTorchBilinear(sourceHeight, destinationHeight);
        ResampleKernels.ResizeFloat(source, sourceStride, destinationRows, destinationStride, wx, wy, destinationRowStart, destinationRowCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Resizes an interleaved 8-bit image (1 to 4 channels, each filtered independently) with PIL's fixed-point
    /// arithmetic, so the result equals PIL's for "L", "RGB" and premultiplied "RGBa" images.
    /// </summary>
    /// <remarks>
    /// Channels are not premultiplied by alpha here; for straight (non-premultiplied) RGBA, premultiply first as PIL
    /// does, or accept colour fringes where alpha changes sharply.
    /// </remarks>
    /// <param name="source">Source pixels.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Bytes from one source row to the next.</param>
    /// <param name="destination">Destination pixels.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="destinationStride">Bytes from one destination row to the next.</param>
    /// <param name="channels">Channels per pixel, 1 to 4.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or channel count is impossible, or the filter is unknown.</exception>
    public static void Resize(
        ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<byte> destination, int destinationWidth, int destinationHeight, int destinationStride,
        int channels, ResampleFilter filter, int maxDegreeOfParallelism = -1)
    {
        CheckChannels(channels);
        CheckPlanes(source.Length, sourceWidth, sourceHeight, sourceStride, destination.Length, destinationWidth, destinationHeight, destinationStride, channels);
        var wx = ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter);
        var wy = ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter);
        ResampleKernels.Resize8(source, sourceStride, destination, destinationStride, channels, wx, wy, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Resizes an interleaved 16-bit image (1 to 4 channels, each filtered independently), accumulating in float and
    /// rounding to nearest at the end (values clamp to 0…65535).
    /// </summary>
    /// <param name="source">Source pixels.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="sourceStride">Elements (not bytes) from one source row to the next.</param>
    /// <param name="destination">Destination pixels.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="destinationStride">Elements (not bytes) from one destination row to the next.</param>
    /// <param name="channels">Channels per pixel, 1 to 4.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or channel count is impossible, or the filter is unknown.</exception>
    public static void Resize(
        ReadOnlySpan<ushort> source, int sourceWidth, int sourceHeight, int sourceStride,
        Span<ushort> destination, int destinationWidth, int destinationHeight, int destinationStride,
        int channels, ResampleFilter filter, int maxDegreeOfParallelism = -1)
    {
        CheckChannels(channels);
        CheckPlanes(source.Length, sourceWidth, sourceHeight, sourceStride, destination.Length, destinationWidth, destinationHeight, destinationStride, channels);
        var wx = ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter);
        var wy = ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter);
        ResampleKernels.Resize16(source, sourceStride, destination, destinationStride, channels, wx, wy, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Resizes one pixel buffer into another of the same format (their sizes give the scale), like PIL's
    /// <c>Image.resize</c>: formats with alpha are premultiplied first and unpremultiplied after, so transparent pixels
    /// lend no colour to their neighbours.
    /// </summary>
    /// <remarks>
    /// 8-bit formats use PIL's arithmetic throughout (its premultiplication rounding included), so Rgb24, Gray8 and
    /// Rgba32 results equal PIL's "RGB", "L" and "RGBA" resizes. 16-bit alpha is premultiplied with rounding to 16 bits.
    /// </remarks>
    /// <param name="source">The pixels to resize.</param>
    /// <param name="destination">Receives the result; same format as <paramref name="source"/>.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="premultiplyAlpha">Whether to premultiply formats with alpha (as PIL does); <see langword="false"/> filters alpha as an ordinary channel.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">The formats differ, or a 16-bit buffer has an odd stride.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The filter is unknown.</exception>
    public static void Resize(PixelBuffer source, PixelBuffer destination, ResampleFilter filter, bool premultiplyAlpha = true, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.Format != destination.Format)
        {
            throw new ArgumentException($"The destination is {destination.Format} but the source is {source.Format}; convert first.", nameof(destination));
        }

        int channels = source.Format.ChannelCount();
        bool alpha = premultiplyAlpha && source.Format.HasAlpha();
        if (source.Format.BytesPerChannel() == 1)
        {
            ReadOnlySpan<byte> src = source.Memory.Span;
            int srcStride = source.Stride;
            byte[]? premultiplied = null;
            if (alpha)
            {
                premultiplied = AlphaPremultiplication.Premultiply8(src, source.Width, source.Height, srcStride);
                src = premultiplied;
                srcStride = source.Width * 4;
            }

            Resize(src, source.Width, source.Height, srcStride, destination.Memory.Span, destination.Width, destination.Height, destination.Stride,
                channels, filter, maxDegreeOfParallelism);
            if (alpha)
            {
                AlphaPremultiplication.Unpremultiply8(destination.Memory.Span, destination.Width, destination.Height, destination.Stride);
            }

            return;
        }

        if (source.Stride % 2 != 0 || destination.Stride % 2 != 0)
        {
            throw new ArgumentException("16-bit pixel buffers need an even stride (whole 16-bit channels per row).", source.Stride % 2 != 0 ? nameof(source) : nameof(destination));
        }

        ReadOnlySpan<ushort> src16 = MemoryMarshal.Cast<byte, ushort>(source.Memory.Span);
        int srcStride16 = source.Stride / 2;
        if (alpha)
        {
            src16 = AlphaPremultiplication.Premultiply16(src16, source.Width, source.Height, srcStride16);
            srcStride16 = source.Width * 4;
        }

        Span<ushort> dst16 = MemoryMarshal.Cast<byte, ushort>(destination.Memory.Span);
        Resize(src16, source.Width, source.Height, srcStride16, dst16, destination.Width, destination.Height, destination.Stride / 2,
            channels, filter, maxDegreeOfParallelism);
        if (alpha)
        {
            AlphaPremultiplication.Unpremultiply16(dst16, destination.Width, destination.Height, destination.Stride / 2);
        }
    }

    /// <summary>
    /// The size that scales (<paramref name="width"/>, <paramref name="height"/>) so its shorter side becomes
    /// <paramref name="shortSide"/>, keeping the aspect ratio (the longer side is rounded to nearest, at least 1).
    /// </summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="shortSide">The wanted length of the shorter side.</param>
    /// <returns>The new width and height.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static (int Width, int Height) FitShortSide(int width, int height, int shortSide)
    {
        BufferChecks.CheckSize(width, height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shortSide);
        if (width <= height)
        {
            return (shortSide, (int)Math.Max(1, Math.Round((double)height * shortSide / width, MidpointRounding.AwayFromZero)));
        }

        return ((int)Math.Max(1, Math.Round((double)width * shortSide / height, MidpointRounding.AwayFromZero)), shortSide);
    }

    private static void CheckBand(int sourceLength, int sourceWidth, int sourceHeight, int sourceStride, int destinationLength, int destinationWidth, int destinationHeight, int destinationStride, int rowStart, int rowCount)
    {
        BufferChecks.CheckSize(destinationWidth, destinationHeight);
        if (rowStart < 0 || rowCount <= 0 || rowStart > destinationHeight - rowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(rowStart), rowStart, $"Rows [{rowStart}, {(long)rowStart + rowCount}) are not a non-empty range inside the {destinationHeight} output rows.");
        }

        CheckPlanes(sourceLength, sourceWidth, sourceHeight, sourceStride, destinationLength, destinationWidth, rowCount, destinationStride, 1);
    }

    private static void CheckChannels(int channels)
    {
        if (channels is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Between 1 and 4 channels per pixel are supported.");
        }
    }

    private static void CheckPlanes(int sourceLength, int sourceWidth, int sourceHeight, int sourceStride, int destinationLength, int destinationWidth, int destinationHeight, int destinationStride, int channels)
    {
        BufferChecks.Check(sourceLength, sourceWidth, sourceHeight, sourceStride, channels, "source", nameof(sourceStride));
        BufferChecks.Check(destinationLength, destinationWidth, destinationHeight, destinationStride, channels, "destination", nameof(destinationStride));
    }
}

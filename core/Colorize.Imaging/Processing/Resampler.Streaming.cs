namespace Colorize.Imaging.Processing;

/// <summary>
/// Writes rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) of a source plane
/// into <paramref name="rows"/>, one row after another with no padding (<paramref name="rowCount"/> × width floats).
/// </summary>
/// <param name="firstRow">The first source row wanted.</param>
/// <param name="rowCount">How many rows.</param>
/// <param name="rows">Receives the rows.</param>
public delegate void PlaneRowReader(int firstRow, int rowCount, Span<float> rows);

/// <content>Resizing a plane that is produced band by band instead of held whole.</content>
public static partial class Resampler
{
    /// <summary>The default band of <see cref="Resize(PlaneRowReader, int, int, Span{float}, int, int, int, ResampleFilter, int, int)"/>: about 4 MB of floats.</summary>
    public const int DefaultBandPixels = 1 << 20;

    /// <summary>
    /// Resizes a single-channel float plane exactly as
    /// <see cref="Resize(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, ResampleFilter, int)"/> does (the
    /// same bits), but asks <paramref name="source"/> for its rows a band at a time, so the full-size plane never exists:
    /// besides the band, only the horizontally filtered rows (<paramref name="destinationWidth"/> ×
    /// <paramref name="sourceHeight"/> floats) are held. Meant for shrinking a very large image's L plane to a network's
    /// input size. Rows are asked for in order, each once.
    /// </summary>
    /// <param name="source">Produces source rows on request.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="destination">Destination plane.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="destinationStride">Floats from one destination row to the next.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="bandPixels">About how many source pixels to ask for at once (at least one row).</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is impossible, or the filter is unknown.</exception>
    public static void Resize(
        PlaneRowReader source, int sourceWidth, int sourceHeight,
        Span<float> destination, int destinationWidth, int destinationHeight, int destinationStride,
        ResampleFilter filter, int bandPixels = DefaultBandPixels, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        BufferChecks.CheckSize(sourceWidth, sourceHeight);
        BufferChecks.Check(destination.Length, destinationWidth, destinationHeight, destinationStride, 1, nameof(destination), nameof(destinationStride));
        var wx = ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter);
        var wy = ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter);
        int bandRows = Math.Clamp(bandPixels / sourceWidth, 1, sourceHeight);
        ResampleKernels.ResizeFloatStreaming(source, sourceWidth, sourceHeight, destination, destinationStride, wx, wy, bandRows, maxDegreeOfParallelism);
    }
}

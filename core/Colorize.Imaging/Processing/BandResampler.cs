namespace Colorize.Imaging.Processing;

/// <summary>
/// Resizes one float plane of a fixed size to another, a band of output rows at a time, with the weights and the
/// working rows computed once for all bands. The bits equal the whole-plane resize's
/// (<see cref="Resampler.Resize(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, ResampleFilter, int)"/>,
/// <see cref="Resampler.ResizeBilinearTorch(ReadOnlySpan{float}, int, int, int, Span{float}, int, int, int, int)"/>).
/// </summary>
/// <remarks>
/// The static band overloads of <see cref="Resampler"/> compute the weights of the whole output on every call: for a
/// 16000-pixel-wide photo enlarged in 250 bands that is hundreds of megabytes of short-lived large arrays. One band at a
/// time: an instance is not meant to be used from several threads at once (each band still uses several threads).
/// </remarks>
public sealed class BandResampler
{
    private readonly ResampleWeights _wx;
    private readonly ResampleWeights _wy;
    private float[] _scratch = [];

    private BandResampler(ResampleWeights wx, ResampleWeights wy)
    {
        _wx = wx;
        _wy = wy;
    }

    /// <summary>Source width in pixels.</summary>
    public int SourceWidth => _wx.InSize;

    /// <summary>Source height in pixels.</summary>
    public int SourceHeight => _wy.InSize;

    /// <summary>Destination width in pixels.</summary>
    public int DestinationWidth => _wx.OutSize;

    /// <summary>Destination height in pixels.</summary>
    public int DestinationHeight => _wy.OutSize;

    /// <summary>PyTorch's <c>F.interpolate(mode='bilinear', align_corners=False, antialias=False)</c>, band by band.</summary>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static BandResampler BilinearTorch(int sourceWidth, int sourceHeight, int destinationWidth, int destinationHeight)
    {
        BufferChecks.CheckSize(sourceWidth, sourceHeight);
        BufferChecks.CheckSize(destinationWidth, destinationHeight);
        return new BandResampler(ResampleWeights.ForTorchBilinear(sourceWidth, destinationWidth), ResampleWeights.ForTorchBilinear(sourceHeight, destinationHeight));
    }

    /// <summary>PIL's <c>Image.resize</c> of an "F" image with <paramref name="filter"/>, band by band.</summary>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="destinationWidth">Destination width in pixels.</param>
    /// <param name="destinationHeight">Destination height in pixels.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the filter is unknown.</exception>
    public static BandResampler ForFilter(int sourceWidth, int sourceHeight, int destinationWidth, int destinationHeight, ResampleFilter filter)
    {
        BufferChecks.CheckSize(sourceWidth, sourceHeight);
        BufferChecks.CheckSize(destinationWidth, destinationHeight);
        return new BandResampler(ResampleWeights.ForFilter(sourceWidth, destinationWidth, filter), ResampleWeights.ForFilter(sourceHeight, destinationHeight, filter));
    }

    /// <summary>
    /// Computes output rows [<paramref name="destinationRowStart"/>, <paramref name="destinationRowStart"/> +
    /// <paramref name="destinationRowCount"/>) into <paramref name="destinationRows"/>, whose row 0 is output row
    /// <paramref name="destinationRowStart"/>.
    /// </summary>
    /// <param name="source">The whole source plane.</param>
    /// <param name="sourceStride">Floats from one source row to the next.</param>
    /// <param name="destinationRows">Receives the band.</param>
    /// <param name="destinationStride">Floats from one band row to the next.</param>
    /// <param name="destinationRowStart">First output row to compute.</param>
    /// <param name="destinationRowCount">Number of output rows to compute.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A stride or the row range is impossible.</exception>
    public void Resize(ReadOnlySpan<float> source, int sourceStride, Span<float> destinationRows, int destinationStride,
        int destinationRowStart, int destinationRowCount, int maxDegreeOfParallelism = -1)
    {
        if (destinationRowStart < 0 || destinationRowCount <= 0 || destinationRowStart > DestinationHeight - destinationRowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(destinationRowStart), destinationRowStart,
                $"Rows [{destinationRowStart}, {(long)destinationRowStart + destinationRowCount}) are not a non-empty range inside the {DestinationHeight} output rows.");
        }

        BufferChecks.Check(source.Length, SourceWidth, SourceHeight, sourceStride, 1, nameof(source), nameof(sourceStride));
        BufferChecks.Check(destinationRows.Length, DestinationWidth, destinationRowCount, destinationStride, 1, nameof(destinationRows), nameof(destinationStride));
        long needed = ResampleKernels.ScratchLength(_wx, _wy, destinationRowStart, destinationRowCount);
        if (_scratch.Length < needed)
        {
            _scratch = GC.AllocateUninitializedArray<float>(checked((int)needed));
        }

        ResampleKernels.ResizeFloat(source, sourceStride, destinationRows, destinationStride, _wx, _wy, destinationRowStart, destinationRowCount, maxDegreeOfParallelism, _scratch);
    }
}

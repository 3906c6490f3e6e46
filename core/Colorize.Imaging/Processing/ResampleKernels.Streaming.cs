namespace Colorize.Imaging.Processing;

/// <content>The float resize fed band by band, for planes too large to hold whole.</content>
internal static unsafe partial class ResampleKernels
{
    /// <summary>
    /// The whole output of <see cref="ResizeFloat"/> for a source plane that <paramref name="read"/> produces a band of
    /// rows at a time: each band is filtered horizontally as it arrives, and only the horizontally filtered rows
    /// (output width × source height) are kept for the vertical pass. Same instructions per output element as
    /// <see cref="ResizeFloat"/>, so the same bits.
    /// </summary>
    public static void ResizeFloatStreaming(PlaneRowReader read, int inW, int inH, Span<float> destination, int destinationStride,
        ResampleWeights wx, ResampleWeights wy, int bandRows, int maxDegreeOfParallelism)
    {
        int outW = wx.OutSize, outH = wy.OutSize;
        bool needH = inW != outW, needV = inH != outH;

        // The rows the vertical pass reads, as ResizeFloat computes them for the whole output.
        int yFirst = needV ? wy.Start[0] : 0;
        int yLast = needV ? wy.Start[outH - 1] + wy.Count[outH - 1] : inH;
        float[] band = needH || !needV ? GC.AllocateUninitializedArray<float>(checked(Math.Min(bandRows, yLast - yFirst) * inW)) : [];
        float[] temp = needV ? GC.AllocateUninitializedArray<float>(checked((yLast - yFirst) * outW)) : [];

        fixed (float* pBand = band)
        fixed (float* tmp = temp)
        fixed (float* dst = destination)
        {
            for (int y = yFirst; y < yLast; y += bandRows)
            {
                int rows = Math.Min(bandRows, yLast - y);
                if (!needH && !needV)
                {
                    read(y, rows, band.AsSpan(0, rows * inW));
                    for (int r = 0; r < rows; r++)
                    {
                        band.AsSpan(r * inW, inW).CopyTo(destination.Slice((y + r) * destinationStride, inW));
                    }
                }
                else if (!needH)
                {
                    // Only the height changes: the source rows are the vertical pass's input as they are.
                    read(y, rows, temp.AsSpan((y - yFirst) * outW, rows * outW));
                }
                else
                {
                    read(y, rows, band.AsSpan(0, rows * inW));
                    float* hDst = needV ? tmp + ((long)(y - yFirst) * outW) : dst + ((long)y * destinationStride);
                    RunHorizontalFloat(pBand, inW, hDst, needV ? outW : destinationStride, rows, wx, maxDegreeOfParallelism);
                }
            }

            if (needV)
            {
                RunVerticalFloat(tmp, outW, yFirst, dst, destinationStride, outW, wy, 0, outH, maxDegreeOfParallelism);
            }
        }
    }
}

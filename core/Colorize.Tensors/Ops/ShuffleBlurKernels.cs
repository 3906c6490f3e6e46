using System.Numerics;
using System.Numerics.Tensors;

namespace Colorize.Tensors.Ops;

/// <summary>
/// ReLU, PixelShuffle(r), replicate pad (1, 0, 1, 0) and a 2×2 average with stride 1 in one pass: the blur of
/// DeOldify's PixelShuffle_ICNR, which as separate ops writes and reads three intermediate tensors of the output's size.
/// </summary>
internal static class ShuffleBlurKernels
{
    /// <summary>
    /// One output plane from its r² input planes (contiguous in NCHW). Shuffled rows are built one at a time (ReLU'd
    /// with the ReLU op's own kernel) and each output row averages the shuffled row above (the first row replicated
    /// for row 0) and its own, with the column to the left (the first column replicated), summed in the average
    /// pool's order (upper left, upper, left, own) and divided by 4 as it does: the separate ops' bits.
    /// </summary>
    /// <param name="input">The r² planes of h×w that shuffle into this output plane.</param>
    /// <param name="h">Input height.</param>
    /// <param name="w">Input width.</param>
    /// <param name="r">Upscale factor.</param>
    /// <param name="relu">Apply ReLU first.</param>
    /// <param name="output">The (h·r)×(w·r) output plane.</param>
    /// <param name="above">Scratch of w·r floats.</param>
    /// <param name="current">Scratch of w·r floats.</param>
    public static void Plane(ReadOnlySpan<float> input, int h, int w, int r, bool relu, Span<float> output, float[] above, float[] current)
    {
        int ow = w * r, oh = h * r, plane = h * w;
        for (int oy = 0; oy < oh; oy++)
        {
            if (oy > 0)
            {
                (above, current) = (current, above);
            }

            ShuffledRow(input, oy / r, oy % r, w, r, plane, relu, current);
            if (oy == 0)
            {
                current.AsSpan().CopyTo(above);
            }

            AverageRow(above, current, output.Slice(oy * ow, ow));
        }
    }

    /// <summary>Row i of the r sub-rows of input row <paramref name="y"/>: element x·r + j from plane i·r + j.</summary>
    private static void ShuffledRow(ReadOnlySpan<float> input, int y, int i, int w, int r, int plane, bool relu, Span<float> row)
    {
        for (int j = 0; j < r; j++)
        {
            var src = input.Slice((((i * r) + j) * plane) + (y * w), w);
            for (int x = 0; x < w; x++)
            {
                row[(x * r) + j] = src[x];
            }
        }

        if (relu)
        {
            // The ReLU op's kernel (IEEE maximum: NaN stays NaN, −0 becomes +0), so the values are its values.
            TensorPrimitives.Max(row, 0f, row);
        }
    }

    /// <summary>out[x] = (above[x−1] + above[x] + row[x−1] + row[x]) / 4, index −1 read as 0.</summary>
    private static void AverageRow(ReadOnlySpan<float> above, ReadOnlySpan<float> row, Span<float> output)
    {
        output[0] = (((above[0] + above[0]) + row[0]) + row[0]) / 4f;
        int x = 1;
        if (Vector.IsHardwareAccelerated)
        {
            var four = new Vector<float>(4f);
            for (; x <= output.Length - Vector<float>.Count; x += Vector<float>.Count)
            {
                var sum = new Vector<float>(above[(x - 1)..]) + new Vector<float>(above[x..]);
                sum += new Vector<float>(row[(x - 1)..]);
                sum += new Vector<float>(row[x..]);
                (sum / four).CopyTo(output[x..]);
            }
        }

        for (; x < output.Length; x++)
        {
            output[x] = (((above[x - 1] + above[x]) + row[x - 1]) + row[x]) / 4f;
        }
    }
}

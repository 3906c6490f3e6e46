using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// A 1×1 convolution to Q channels, a softmax over those channels and its expectation against a few value rows, for
/// every position: y[v, p] = Σ_q softmax_q(scale · (W·x[:, p] + b)) · values[v, q] (the annealed mean of a
/// classification colour head, where Q = 261 bins and the values are the bins' a and b). Computed a tile of
/// <see cref="TileColumns"/> positions at a time, so the Q planes of logits and probabilities never exist over the
/// whole image: a tile's Q × 256 logits (261 KiB at Q 261) stay in L2 from the GEMM that writes them to the pass that
/// folds them into the output.
/// </summary>
/// <remarks>
/// Per tile: the GEMM of the head's weights with the tile's columns of x (the input image is B in place, as a
/// pointwise convolution reads it), then row by row over the classes, each row vectorised across the tile's positions:
/// (logit + bias) · scale and the per-position running maximum; then exp(row − max), added to the per-position sum
/// and, times each value, to the per-position accumulators; the output is accumulator / sum. The maximum is subtracted
/// so no exp overflows whatever the logits' spread; the probabilities are never stored. Tiles are fixed by the shape
/// and each is computed by one thread from start to end, so the result has the same bits for any thread count.
/// </remarks>
internal static class SoftmaxExpectationKernel
{
    /// <summary>Positions per tile: a multiple of every GEMM tile width (32, 16, 8, 4) so only an image's last tile is partial.</summary>
    public const int TileColumns = 256;

    /// <summary>The floats of working memory one thread uses for <paramref name="classes"/> classes and <paramref name="outputs"/> values.</summary>
    /// <param name="classes">Q.</param>
    /// <param name="outputs">Value rows.</param>
    public static long WorkingFloats(int classes, int outputs) => (long)(classes + 2 + outputs) * TileColumns;

    /// <summary>Computes the expectation (see the class remarks) for a batch.</summary>
    /// <param name="input">x: [N, inChannels, positions].</param>
    /// <param name="weight">W: [classes, inChannels].</param>
    /// <param name="bias">b: [classes], or empty for none.</param>
    /// <param name="scale">Multiplies the logits before the softmax (1/T for the annealed mean at temperature T).</param>
    /// <param name="values">[outputs, classes].</param>
    /// <param name="batch">N.</param>
    /// <param name="inChannels">Channels of x.</param>
    /// <param name="classes">Q: the softmax's length.</param>
    /// <param name="outputs">Rows of values and channels of the output.</param>
    /// <param name="positions">Positions per image (height × width).</param>
    /// <param name="output">[N, outputs, positions]; overwritten. Must not overlap the inputs.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static unsafe void Forward(
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float scale, ReadOnlySpan<float> values,
        int batch, int inChannels, int classes, int outputs, int positions, Span<float> output, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(positions);
        Check(input.Length, (long)batch * inChannels * positions, nameof(input));
        Check(weight.Length, (long)classes * inChannels, nameof(weight));
        if (!bias.IsEmpty)
        {
            Check(bias.Length, classes, nameof(bias));
        }

        Check(values.Length, (long)outputs * classes, nameof(values));
        Check(output.Length, (long)batch * outputs * positions, nameof(output));
        if (batch == 0 || positions == 0)
        {
            return;
        }

        threads = Gemm.ResolveThreads(threads);
        int tilesPerImage = (positions + TileColumns - 1) / TileColumns, jobs = batch * tilesPerImage;
        // The GEMM dominates: classes · inChannels multiply-adds a position (the exp pass is a few per class).
        double work = (double)classes * (inChannels + 8) * positions * batch;
        int parts = (int)Math.Clamp(work / Gemm.MinMultiplyAddsPerThread, 1, Math.Min(threads, jobs));
        fixed (float* px = input)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        fixed (float* pv = values)
        fixed (float* po = output)
        {
            var job = new Job(px, pw, bias.IsEmpty ? null : pb, scale, pv, po, inChannels, classes, outputs, positions, tilesPerImage, jobs, parts);
            if (parts == 1)
            {
                job.Execute(0);
            }
            else
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, job.Execute);
            }
        }
    }

    private static void Check(int actual, long needed, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"The {name} span holds {actual} elements but the softmax expectation needs {needed}.", name);
        }
    }

    /// <summary>The tiles of a batch, dealt to parts in contiguous runs.</summary>
    private sealed unsafe class Job(
        float* input, float* weight, float* bias, float scale, float* values, float* output,
        int inChannels, int classes, int outputs, int positions, int tilesPerImage, int jobs, int parts)
    {
        public void Execute(int part)
        {
            int start = (int)((long)jobs * part / parts), end = (int)((long)jobs * (part + 1) / parts);
            float[] scratch = KernelBuffers.RentFloats((int)WorkingFloats(classes, outputs));
            try
            {
                fixed (float* s = scratch)
                {
                    for (int j = start; j < end; j++)
                    {
                        int image = j / tilesPerImage, p0 = j % tilesPerImage * TileColumns;
                        Tile(image, p0, Math.Min(TileColumns, positions - p0), s);
                    }
                }
            }
            finally
            {
                KernelBuffers.Return(scratch);
            }
        }

        private void Tile(int image, int p0, int cols, float* scratch)
        {
            // Layout of the scratch: the logits (classes rows of cols), then max, sum and one accumulator per value row,
            // each TileColumns long.
            float* logits = scratch, maxPtr = scratch + ((long)classes * TileColumns);
            var max = new Span<float>(maxPtr, cols);
            var sum = new Span<float>(maxPtr + TileColumns, cols);
            float* acc = maxPtr + (2 * TileColumns);

            // logits = W · x[:, p0 .. p0 + cols]: the image's channel planes are B's rows, read where they are.
            GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, classes, cols);
            float* x = input + ((long)image * inChannels * positions) + p0;
            Gemm.Run(config, false, classes, cols, inChannels, 1f, weight, inChannels, new MatrixBPacker(false, x, positions), 0f, logits, cols, 1);

            // (logit + bias) · scale, as the unfused path's convolution epilogue and Mul round it, and the maximum.
            for (int q = 0; q < classes; q++)
            {
                var row = new Span<float>(logits + ((long)q * cols), cols);
                if (bias is not null)
                {
                    TensorPrimitives.Add(row, bias[q], row);
                }

                TensorPrimitives.Multiply(row, scale, row);

                if (q == 0)
                {
                    row.CopyTo(max);
                }
                else
                {
                    TensorPrimitives.Max(max, row, max);
                }
            }

            // exp(t − max) into the sum and the value accumulators; the probabilities themselves are never formed.
            sum.Clear();
            new Span<float>(acc, outputs * TileColumns).Clear();
            for (int q = 0; q < classes; q++)
            {
                var row = new Span<float>(logits + ((long)q * cols), cols);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Add(sum, row, sum);
                for (int v = 0; v < outputs; v++)
                {
                    var a = new Span<float>(acc + ((long)v * TileColumns), cols);
                    TensorPrimitives.FusedMultiplyAdd(row, values[((long)v * classes) + q], a, a);
                }
            }

            for (int v = 0; v < outputs; v++)
            {
                var o = new Span<float>(output + ((((long)image * outputs) + v) * positions) + p0, cols);
                TensorPrimitives.Divide(new ReadOnlySpan<float>(acc + ((long)v * TileColumns), cols), sum, o);
            }
        }
    }
}

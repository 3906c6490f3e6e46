using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// SAGAN self-attention after its 1×1 convolutions, computed a block of positions at a time so that the
/// positions × positions attention matrix never exists: output[c, j] = γ · Σᵢ v[c, i] · softmaxᵢ(Σₖ f[k, i] · g[k, j])
/// + x[c, j], with f the query, g the key and v the value planes of one image.
/// </summary>
/// <remarks>
/// Written as in PyTorch, the layer multiplies fᵀg into a positions² matrix (64 MB for a 64×64 feature map), takes
/// the softmax down its columns (a strided walk of the whole matrix) and multiplies v by it: three passes over a
/// matrix far larger than any cache. Here a block of <see cref="BlockRows"/> columns j is taken as rows of a small
/// scratch matrix (row j holds the scores of every i, so the softmax runs along contiguous memory, with vectorised
/// exp), and one GEMM adds γ · v · blockᵀ onto x's columns of the block. Blocks are fixed by the shape and each is
/// computed by one thread from start to end, so the result has the same bits for any thread count.
/// </remarks>
internal static class SelfAttentionKernel
{
    // Columns of the attention matrix per block: a 64×4096 block (1 MiB) stays in L2 between the softmax that
    // writes it and the GEMM that reads it, and the value matrix, repacked by each block's GEMM, is packed
    // positions / 64 times in all, a few per cent of the multiply-adds.
    private const int BlockRows = 64;

    /// <summary>Computes the layer's output for a batch (see the class remarks).</summary>
    /// <param name="query">f: [N, keyChannels, positions].</param>
    /// <param name="key">g: [N, keyChannels, positions].</param>
    /// <param name="value">v: [N, channels, positions].</param>
    /// <param name="input">x: [N, channels, positions].</param>
    /// <param name="gamma">γ, the weight of the attention term.</param>
    /// <param name="batch">N.</param>
    /// <param name="keyChannels">Channels of f and g.</param>
    /// <param name="channels">Channels of v, x and the output.</param>
    /// <param name="positions">Positions per image (height × width).</param>
    /// <param name="output">[N, channels, positions]; overwritten. Must not overlap the inputs.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static unsafe void Forward(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> input, float gamma,
        int batch, int keyChannels, int channels, int positions, Span<float> output, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(keyChannels, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfNegative(positions);
        long keyLength = (long)batch * keyChannels * positions, planeLength = (long)batch * channels * positions;
        Check(query.Length, keyLength, nameof(query));
        Check(key.Length, keyLength, nameof(key));
        Check(value.Length, planeLength, nameof(value));
        Check(input.Length, planeLength, nameof(input));
        Check(output.Length, planeLength, nameof(output));
        if (planeLength == 0)
        {
            return;
        }

        threads = Gemm.ResolveThreads(threads);
        int blocksPerImage = (positions + BlockRows - 1) / BlockRows, jobs = batch * blocksPerImage;
        // Each block costs about channels · BlockRows · positions multiply-adds; small maps stay on one thread.
        double work = (double)channels * Math.Min(BlockRows, positions) * positions * jobs;
        int parts = (int)Math.Clamp(work / Gemm.MinMultiplyAddsPerThread, 1, Math.Min(threads, jobs));
        fixed (float* pq = query)
        fixed (float* pk = key)
        fixed (float* pv = value)
        fixed (float* px = input)
        fixed (float* po = output)
        {
            var job = new Job(pq, pk, pv, px, po, gamma, keyChannels, channels, positions, blocksPerImage, jobs, parts);
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
            throw new ArgumentException($"The {name} span holds {actual} elements but the attention needs {needed}.", name);
        }
    }

    /// <summary>The blocks of a batch, dealt to parts in contiguous runs.</summary>
    private sealed unsafe class Job(
        float* query, float* key, float* value, float* input, float* output, float gamma,
        int keyChannels, int channels, int positions, int blocksPerImage, int jobs, int parts)
    {
        public void Execute(int part)
        {
            int start = (int)((long)jobs * part / parts), end = (int)((long)jobs * (part + 1) / parts);
            float[] scratch = KernelBuffers.RentFloats(Math.Min(BlockRows, positions) * positions);
            try
            {
                fixed (float* scores = scratch)
                {
                    for (int j = start; j < end; j++)
                    {
                        int image = j / blocksPerImage, j0 = j % blocksPerImage * BlockRows;
                        Block(image, j0, Math.Min(BlockRows, positions - j0), scores);
                    }
                }
            }
            finally
            {
                KernelBuffers.Return(scratch);
            }
        }

        private void Block(int image, int j0, int rows, float* scores)
        {
            long keyOffset = (long)image * keyChannels * positions, planeOffset = (long)image * channels * positions;
            float* f = query + keyOffset, g = key + keyOffset;
            for (int r = 0; r < rows; r++)
            {
                // Row r: the scores fᵢ·g_j of position j = j0 + r against every i, then their softmax over i.
                var row = new Span<float>(scores + ((long)r * positions), positions);
                int j = j0 + r;
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(f, positions), g[j], row);
                for (int k = 1; k < keyChannels; k++)
                {
                    TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(f + ((long)k * positions), positions), g[((long)k * positions) + j], row, row);
                }

                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
            }

            // output[:, j0 .. j0 + rows] = x's columns, then += γ · v · scoresᵀ (the GEMM's beta = 1 keeps x).
            float* x = input + planeOffset + j0, o = output + planeOffset + j0;
            for (int c = 0; c < channels; c++)
            {
                new ReadOnlySpan<float>(x + ((long)c * positions), rows).CopyTo(new Span<float>(o + ((long)c * positions), rows));
            }

            GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, channels, rows);
            Gemm.Run(config, false, channels, rows, positions, gamma, value + planeOffset, positions, new MatrixBPacker(true, scores, positions), 1f, o, positions, 1);
        }
    }
}

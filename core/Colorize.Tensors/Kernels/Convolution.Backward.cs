using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

// The gradients of conv2d with respect to its input and its weight (the input gradient is also conv_transpose2d's
// forward): the same chunking as the forward pass, col2im for the input gradient.
internal static partial class Convolution
{
    /// <summary>
    /// Computes the gradient of conv2d with respect to its input: gradInput = conv2dᵀ(gradOutput, weight).
    /// This is also the forward pass of conv_transpose2d (see <see cref="Conv2dShape.ForTransposed"/>).
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="gradOutput">[N, C_out, H_out, W_out].</param>
    /// <param name="weight">[C_out, C_in / groups, kH, kW].</param>
    /// <param name="gradInput">[N, C_in, H, W]; overwritten (positions no output depends on get 0).</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void Conv2dBackwardInput(in Conv2dShape shape, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput, int threads)
        => Conv2dBackwardInput(shape, gradOutput, weight, gradInput, threads, chunkColumns: 0);

    /// <summary>As the public overload, with the im2col chunk width forced (0 = automatic); tests use odd widths to cross every chunk boundary.</summary>
    internal static void Conv2dBackwardInput(in Conv2dShape shape, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput, int threads, int chunkColumns)
    {
        Check(shape, gradOutput.Length, "gradOutput", shape.OutputLength);
        Check(shape, weight.Length, "weight", shape.WeightLength);
        Check(shape, gradInput.Length, "gradInput", shape.InputLength);
        threads = Gemm.ResolveThreads(threads);
        int coutG = shape.OutChannelsPerGroup, rows = shape.ColumnRows, spatial = shape.OutSpatial;
        int cinG = shape.InChannelsPerGroup, inSpatial = shape.InSpatial;
        if (chunkColumns == 0 && PhaseConvolution.AppliesToInputGradient(shape))
        {
            // Column-gradient rows added back as contiguous runs of padded, phase-split planes (see the forward pass).
            PhaseConvolution.BackwardInput(shape, gradOutput, weight, gradInput, threads);
            return;
        }

        // Pointwise chunks overwrite their part, col2im chunks add into it: start from zero either way.
        Clear(gradInput[..(int)shape.InputLength], threads);
        if (DirectConvolution.Applies(shape))
        {
            // One output channel per group: the K = 1 column matrix would be as large as the im2col matrix.
            DirectConvolution.BackwardInput(shape, gradOutput, weight, gradInput, threads);
            return;
        }

        foreach (Chunk chunk in Chunks(shape, chunkColumns))
        {
            float[]? columns = null, staging = null;
            try
            {
                for (int g = 0; g < shape.Groups; g++)
                {
                    ReadOnlySpan<float> w = weight.Slice(g * coutG * rows, coutG * rows);
                    ReadOnlySpan<float> dy;
                    int lddy;
                    if (chunk.Images == 1)
                    {
                        dy = gradOutput.Slice((((chunk.Image * shape.OutChannels) + (g * coutG)) * spatial) + chunk.Start);
                        lddy = spatial;
                    }
                    else
                    {
                        staging ??= KernelBuffers.RentFloats(coutG * chunk.Width);
                        for (int i = 0; i < chunk.Images; i++)
                        {
                            for (int co = 0; co < coutG; co++)
                            {
                                gradOutput.Slice((((chunk.Image + i) * shape.OutChannels) + (g * coutG) + co) * spatial, spatial)
                                    .CopyTo(staging.AsSpan((co * chunk.Width) + (i * spatial), spatial));
                            }
                        }

                        dy = staging;
                        lddy = chunk.Width;
                    }

                    if (shape.IsPointwise && chunk.Images == 1)
                    {
                        // The column gradient is the input gradient itself.
                        Span<float> dx = gradInput.Slice((((chunk.Image * shape.InChannels) + (g * cinG)) * inSpatial) + chunk.Start);
                        Gemm.Sgemm(true, false, rows, chunk.Width, coutG, 1f, w, rows, dy, lddy, 0f, dx, inSpatial, threads);
                    }
                    else
                    {
                        columns ??= KernelBuffers.RentFloats(rows * chunk.Width);
                        Gemm.Sgemm(true, false, rows, chunk.Width, coutG, 1f, w, rows, dy, lddy, 0f, columns, chunk.Width, threads);
                        Col2ImChunk(shape, columns, g, chunk, gradInput, threads);
                    }
                }
            }
            finally
            {
                Return(columns);
                Return(staging);
            }
        }
    }

    /// <summary>
    /// Computes the gradients of conv2d with respect to its weight and bias, summed over the batch.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="gradOutput">[N, C_out, H_out, W_out].</param>
    /// <param name="gradWeight">[C_out, C_in / groups, kH, kW]; overwritten.</param>
    /// <param name="gradBias">[C_out], overwritten; or empty to skip.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void Conv2dBackwardWeight(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight, Span<float> gradBias, int threads)
        => Conv2dBackwardWeight(shape, input, gradOutput, gradWeight, gradBias, threads, chunkColumns: 0);

    /// <summary>As the public overload, with the im2col chunk width forced (0 = automatic); tests use odd widths to cross every chunk boundary.</summary>
    internal static void Conv2dBackwardWeight(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight, Span<float> gradBias, int threads, int chunkColumns)
    {
        Check(shape, input.Length, "input", shape.InputLength);
        Check(shape, gradOutput.Length, "gradOutput", shape.OutputLength);
        Check(shape, gradWeight.Length, "gradWeight", shape.WeightLength);
        if (!gradBias.IsEmpty)
        {
            Check(shape, gradBias.Length, "gradBias", shape.OutChannels);
        }

        threads = Gemm.ResolveThreads(threads);
        int coutG = shape.OutChannelsPerGroup, rows = shape.ColumnRows, spatial = shape.OutSpatial;
        int cinG = shape.InChannelsPerGroup, inSpatial = shape.InSpatial;
        if (shape.Batch == 0)
        {
            gradWeight[..(int)shape.WeightLength].Clear();
        }

        bool first = true;
        if (DirectConvolution.Applies(shape) && shape.Batch > 0)
        {
            // One output channel per group: a one-row GEMM would pack the whole transposed im2col matrix for it.
            DirectConvolution.BackwardWeight(shape, input, gradOutput, gradWeight, threads);
            first = false;
        }
        else if (chunkColumns == 0 && PhaseConvolution.Applies(shape))
        {
            // The transposed im2col rows are contiguous runs of a padded, phase-split input copy (see the forward pass).
            PhaseConvolution.BackwardWeight(shape, input, gradOutput, gradWeight, threads);
            first = false;
        }

        foreach (Chunk chunk in first ? Chunks(shape, chunkColumns) : [])
        {
            float[]? staging = null;
            try
            {
                for (int g = 0; g < shape.Groups; g++)
                {
                    Span<float> dw = gradWeight.Slice(g * coutG * rows, coutG * rows);
                    ReadOnlySpan<float> dy;
                    int lddy;
                    if (chunk.Images == 1)
                    {
                        dy = gradOutput.Slice((((chunk.Image * shape.OutChannels) + (g * coutG)) * spatial) + chunk.Start);
                        lddy = spatial;
                    }
                    else
                    {
                        staging ??= KernelBuffers.RentFloats(coutG * chunk.Width);
                        for (int i = 0; i < chunk.Images; i++)
                        {
                            for (int co = 0; co < coutG; co++)
                            {
                                gradOutput.Slice((((chunk.Image + i) * shape.OutChannels) + (g * coutG) + co) * spatial, spatial)
                                    .CopyTo(staging.AsSpan((co * chunk.Width) + (i * spatial), spatial));
                            }
                        }

                        dy = staging;
                        lddy = chunk.Width;
                    }

                    // dW += dY_chunk · colsᵀ; chunks are visited in a fixed order, so the sum is reproducible.
                    if (shape.IsPointwise && chunk.Images == 1)
                    {
                        ReadOnlySpan<float> cols = input.Slice((((chunk.Image * shape.InChannels) + (g * cinG)) * inSpatial) + chunk.Start);
                        Gemm.Sgemm(false, true, coutG, rows, chunk.Width, 1f, dy, lddy, cols, inSpatial, first ? 0f : 1f, dw, rows, threads);
                    }
                    else
                    {
                        ImplicitIm2ColWeightGemm(shape, input, g, chunk, dy, lddy, dw, first ? 0f : 1f, threads);
                    }
                }

                first = false;
            }
            finally
            {
                Return(staging);
            }
        }

        if (!gradBias.IsEmpty)
        {
            for (int c = 0; c < shape.OutChannels; c++)
            {
                double sum = 0;
                for (int n = 0; n < shape.Batch; n++)
                {
                    sum += TensorPrimitives.Sum(gradOutput.Slice(((n * shape.OutChannels) + c) * spatial, spatial));
                }

                gradBias[c] = (float)sum;
            }
        }
    }

    /// <summary>
    /// Zeroes <paramref name="span"/>, split among threads when it is large: the input gradient of a 128×128 layer is
    /// 16 MB, and clearing it on the calling thread alone left the other thread idle before every col2im.
    /// </summary>
    private static unsafe void Clear(Span<float> span, int threads)
    {
        int parts = (int)Math.Clamp(span.Length / (4L * MinParallelCopy), 1, threads);
        if (parts == 1)
        {
            span.Clear();
            return;
        }

        fixed (float* p = span)
        {
            nint address = (nint)p;
            int length = span.Length;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                long start = (long)length * part / parts, end = (long)length * (part + 1) / parts;
                new Span<float>((float*)address + start, (int)(end - start)).Clear();
            });
        }
    }

    /// <summary>dW_g = dY_chunk · im2col(chunk)ᵀ + beta · dW_g, with the transposed im2col matrix packed straight from the input.</summary>
    private static unsafe void ImplicitIm2ColWeightGemm(in Conv2dShape shape, ReadOnlySpan<float> input, int g, Chunk chunk, ReadOnlySpan<float> dy, int lddy, Span<float> dw, float beta, int threads)
    {
        int coutG = shape.OutChannelsPerGroup, rows = shape.ColumnRows, imageStride = shape.InChannels * shape.InSpatial;
        if ((long)(coutG - 1) * lddy + chunk.Width > dy.Length || (long)coutG * rows > dw.Length)
        {
            throw new ArgumentException("The gradient spans are too short for the convolution chunk.");
        }

        fixed (float* pin = input)
        fixed (float* pdy = dy)
        fixed (float* pdw = dw)
        {
            float* firstImage = pin + ((long)chunk.Image * imageStride) + ((long)g * shape.InChannelsPerGroup * shape.InSpatial);
            var packer = new Im2ColTransposedBPacker(shape, firstImage, imageStride, chunk.Images, chunk.Images == 1 ? chunk.Start : 0);
            GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, coutG, rows);
            Gemm.Run(config, false, coutG, rows, chunk.Width, 1f, pdy, lddy, packer, beta, pdw, rows, threads);
        }
    }

    /// <summary>Adds columns [ColumnRows, chunk.Width] into group g of the chunk's images, splitting channels across threads.</summary>
    private static unsafe void Col2ImChunk(in Conv2dShape shape, float[] columns, int g, Chunk chunk, Span<float> gradInput, int threads)
    {
        int cinG = shape.InChannelsPerGroup, spatial = shape.OutSpatial, imageStride = shape.InChannels * shape.InSpatial;
        int parts = (int)Math.Clamp((long)shape.ColumnRows * chunk.Width / MinParallelCopy, 1, Math.Min(threads, cinG));
        Conv2dShape s = shape;
        fixed (float* src = columns)
        fixed (float* dst = gradInput)
        {
            nint srcAddress = (nint)src, dstAddress = (nint)(dst + (g * cinG * shape.InSpatial));
            void Part(int part)
            {
                // Each part owns whole input channels, so no two threads add to the same element.
                int c0 = (int)((long)cinG * part / parts), c1 = (int)((long)cinG * (part + 1) / parts);
                for (int i = 0; i < chunk.Images; i++)
                {
                    float* image = (float*)dstAddress + ((long)(chunk.Image + i) * imageStride);
                    int start = chunk.Images == 1 ? chunk.Start : 0, width = chunk.Images == 1 ? chunk.Width : spatial;
                    Col2ImChannels(s, (float*)srcAddress + ((long)i * spatial), chunk.Width, start, width, image, c0, c1);
                }
            }

            if (parts == 1)
            {
                Part(0);
            }
            else
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
            }
        }
    }
}

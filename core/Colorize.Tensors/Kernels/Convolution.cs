using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// 2-D convolution kernels on NCHW spans with PyTorch semantics (stride, padding, dilation, groups, bias),
/// through im2col and <see cref="Gemm"/>.
/// </summary>
/// <remarks>
/// The output positions of the whole batch (N·OutHeight·OutWidth columns) are cut into chunks: large images
/// are split into column ranges, small ones (deep layers) are gathered several images to a chunk so the GEMM's
/// N (and, for the weight gradient, its K) is not tiny. The forward pass and the weight gradient are implicit
/// GEMMs: the GEMM packs its B panels straight from the input (<see cref="Im2ColBPacker"/>,
/// <see cref="Im2ColTransposedBPacker"/>), so the im2col matrix is never stored. The input gradient computes the
/// column gradient with a GEMM and scatters it back with col2im. Pointwise convolutions (1×1, stride 1, no
/// padding) use the image itself as the B matrix. The chunking depends only on the shape, and threads only
/// split GEMMs and col2im channels, so results have the same bits for any thread count. The forward pass applies a
/// <see cref="ConvEpilogue"/> (bias, addend, ReLU) as it writes its output.
/// <para>
/// This file holds the forward passes and the chunking; Convolution.Backward.cs the input and weight gradients;
/// Convolution.Im2Col.cs the im2col and col2im row walks.
/// </para>
/// </remarks>
internal static partial class Convolution
{
    // Floats in one chunk's column matrix (16 MiB; only the input gradient stores one): big enough for efficient
    // GEMMs, small enough to stay in L3 on most CPUs.
    private const long ColumnBudget = 1 << 22;

    // Output positions per chunk: a GEMM narrower than MinChunkColumns wastes its B packing, one wider than
    // MaxChunkColumns gains nothing.
    private const int MinChunkColumns = 256, MaxChunkColumns = 2048;

    // Below this many elements a copy is not worth splitting across threads.
    private const long MinParallelCopy = 1 << 16;

    /// <summary>
    /// Computes output = conv2d(input, weight) + bias.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in / groups, kH, kW].</param>
    /// <param name="bias">[C_out], or empty for none.</param>
    /// <param name="output">[N, C_out, H_out, W_out]; overwritten.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void Conv2dForward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> output, int threads)
        => Conv2dForward(shape, input, weight, bias, output, threads, chunkColumns: 0);

    /// <summary>As the public overload, with the im2col chunk width forced (0 = automatic); tests use odd widths to cross every chunk boundary.</summary>
    internal static unsafe void Conv2dForward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> output, int threads, int chunkColumns)
    {
        if (!bias.IsEmpty)
        {
            Check(shape, bias.Length, "bias", shape.OutChannels);
        }

        fixed (float* pb = bias)
        {
            Conv2dForward(shape, input, weight, output, threads, new ConvEpilogue(bias.IsEmpty ? null : pb, null, relu: false), chunkColumns);
        }
    }

    /// <summary>
    /// Computes output = epilogue(conv2d(input, weight)): the bias, an addend and a ReLU applied as the output is
    /// written (see <see cref="ConvEpilogue"/>), with the bits of the separate ops.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in / groups, kH, kW].</param>
    /// <param name="output">[N, C_out, H_out, W_out]; overwritten. Must not overlap the input or the epilogue's addend.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="epilogue">What to apply to the output; its pointers must stay pinned for the call.</param>
    /// <param name="chunkColumns">The im2col chunk width (0 = automatic; tests force odd widths).</param>
    internal static void Conv2dForward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads, in ConvEpilogue epilogue, int chunkColumns = 0)
    {
        Check(shape, input.Length, "input", shape.InputLength);
        Check(shape, weight.Length, "weight", shape.WeightLength);
        Check(shape, output.Length, "output", shape.OutputLength);
        threads = Gemm.ResolveThreads(threads);
        int coutG = shape.OutChannelsPerGroup, rows = shape.ColumnRows, spatial = shape.OutSpatial;
        int cinG = shape.InChannelsPerGroup, inSpatial = shape.InSpatial;
        if (DirectConvolution.Applies(shape))
        {
            // One output channel per group: a one-row GEMM would pack the whole im2col matrix for it.
            DirectConvolution.Forward(shape, input, weight, output, threads);
            epilogue.Apply(output, 0, shape.Batch * shape.OutChannels, shape.OutChannels, spatial, 0, spatial, threads);
            return;
        }

        if (chunkColumns == 0 && PhaseConvolution.Applies(shape))
        {
            // Im2col rows as contiguous runs of a padded, phase-split input copy: the GEMM packs B with plain copies;
            // the epilogue is applied as the result is copied out of the padded layout.
            PhaseConvolution.Forward(shape, input, weight, output, threads, epilogue);
            return;
        }

        foreach (Chunk chunk in Chunks(shape, chunkColumns))
        {
            float[]? staging = null;
            try
            {
                for (int g = 0; g < shape.Groups; g++)
                {
                    ReadOnlySpan<float> w = weight.Slice(g * coutG * rows, coutG * rows);
                    Span<float> c;
                    int ldc;
                    if (chunk.Images == 1)
                    {
                        c = output.Slice((((chunk.Image * shape.OutChannels) + (g * coutG)) * spatial) + chunk.Start);
                        ldc = spatial;
                    }
                    else
                    {
                        // Several whole images: multiply into a staging matrix, then scatter image by image.
                        staging ??= KernelBuffers.RentFloats(coutG * chunk.Width);
                        c = staging;
                        ldc = chunk.Width;
                    }

                    if (shape.IsPointwise && chunk.Images == 1)
                    {
                        // A pointwise convolution's im2col matrix is the image itself.
                        ReadOnlySpan<float> b = input.Slice((((chunk.Image * shape.InChannels) + (g * cinG)) * inSpatial) + chunk.Start);
                        Gemm.Sgemm(false, false, coutG, chunk.Width, rows, 1f, w, rows, b, inSpatial, 0f, c, ldc, threads);
                    }
                    else
                    {
                        ImplicitIm2ColGemm(shape, input, g, chunk, w, c, ldc, threads);
                    }

                    if (chunk.Images > 1)
                    {
                        for (int i = 0; i < chunk.Images; i++)
                        {
                            for (int co = 0; co < coutG; co++)
                            {
                                staging.AsSpan((co * chunk.Width) + (i * spatial), spatial)
                                    .CopyTo(output.Slice(((((chunk.Image + i) * shape.OutChannels) + (g * coutG) + co) * spatial), spatial));
                            }
                        }
                    }
                    else
                    {
                        // The chunk's block of the output is still in cache.
                        epilogue.Apply(output, (chunk.Image * shape.OutChannels) + (g * coutG), coutG, shape.OutChannels, spatial, chunk.Start, chunk.Width, threads);
                    }
                }

                if (chunk.Images > 1)
                {
                    epilogue.Apply(output, chunk.Image * shape.OutChannels, chunk.Images * shape.OutChannels, shape.OutChannels, spatial, 0, spatial, threads);
                }
            }
            finally
            {
                Return(staging);
            }
        }
    }

    /// <summary>
    /// Computes PyTorch's conv_transpose2d forward: output = conv_transpose2d(input, weight) + bias, where
    /// <paramref name="shape"/> comes from <see cref="Conv2dShape.ForTransposed"/>.
    /// </summary>
    /// <param name="shape">The equivalent convolution (its output is this op's input).</param>
    /// <param name="input">[N, C_in_t, H, W] (= the convolution's output shape).</param>
    /// <param name="weight">[C_in_t, C_out_t / groups, kH, kW].</param>
    /// <param name="bias">[C_out_t], or empty for none.</param>
    /// <param name="output">[N, C_out_t, H_t, W_t] (= the convolution's input shape); overwritten.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void ConvTranspose2dForward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> output, int threads)
    {
        Conv2dBackwardInput(shape, input, weight, output, threads);
        if (!bias.IsEmpty)
        {
            Check(shape, bias.Length, "bias", shape.InChannels);
            AddBias(output, bias, shape.Batch, shape.InChannels, shape.InSpatial);
        }
    }

    /// <summary>Adds bias[c] to every element of channel c of an [N, C, spatial] tensor.</summary>
    /// <param name="data">[N, C, spatial].</param>
    /// <param name="bias">[C].</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">Elements per channel.</param>
    public static void AddBias(Span<float> data, ReadOnlySpan<float> bias, int batch, int channels, int spatial)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                Span<float> plane = data.Slice(((n * channels) + c) * spatial, spatial);
                TensorPrimitives.Add(plane, bias[c], plane);
            }
        }
    }

    private static void Check(in Conv2dShape shape, int actual, string name, long needed)
    {
        shape.Validate();
        if (actual < needed)
        {
            throw new ArgumentException($"The {name} span holds {actual} elements but the convolution needs {needed}.", name);
        }
    }

    private static void Return(float[]? array)
    {
        if (array is not null)
        {
            KernelBuffers.Return(array);
        }
    }

    /// <summary>A run of output columns: either part of one image, or several whole images side by side.</summary>
    private readonly record struct Chunk(int Image, int Images, int Start, int Width);

    private static IEnumerable<Chunk> Chunks(Conv2dShape shape, int chunkColumns)
    {
        int spatial = shape.OutSpatial;
        // Enough columns for an efficient GEMM, within the im2col budget, and no more than MaxChunkColumns: measured
        // on a 1 MiB-L2 core, wider chunks only push the im2col matrix and the output block out of cache.
        long target = chunkColumns > 0 ? chunkColumns : Math.Clamp(ColumnBudget / Math.Max(1, shape.ColumnRows), MinChunkColumns, MaxChunkColumns);
        if (spatial >= target)
        {
            int pieces = (int)((spatial + target - 1) / target);
            for (int n = 0; n < shape.Batch; n++)
            {
                for (int p = 0; p < pieces; p++)
                {
                    int s0 = (int)((long)spatial * p / pieces), s1 = (int)((long)spatial * (p + 1) / pieces);
                    yield return new Chunk(n, 1, s0, s1 - s0);
                }
            }
        }
        else
        {
            int perChunk = (int)Math.Max(1, target / spatial);
            for (int n = 0; n < shape.Batch; n += perChunk)
            {
                int images = Math.Min(perChunk, shape.Batch - n);
                yield return new Chunk(n, images, 0, images * spatial);
            }
        }
    }

    /// <summary>
    /// C[coutG, chunk.Width] = W_g · im2col(chunk) with the im2col matrix packed straight from the input by the GEMM
    /// (never stored): the same packed panels, so the same bits, as an explicit im2col followed by a GEMM.
    /// </summary>
    private static unsafe void ImplicitIm2ColGemm(in Conv2dShape shape, ReadOnlySpan<float> input, int g, Chunk chunk, ReadOnlySpan<float> w, Span<float> c, int ldc, int threads)
    {
        int coutG = shape.OutChannelsPerGroup, rows = shape.ColumnRows, imageStride = shape.InChannels * shape.InSpatial;
        if ((long)(coutG - 1) * ldc + chunk.Width > c.Length || (long)coutG * rows > w.Length)
        {
            throw new ArgumentException("The output or weight span is too short for the convolution chunk.");
        }

        fixed (float* pin = input)
        fixed (float* pw = w)
        fixed (float* pc = c)
        {
            float* firstImage = pin + ((long)chunk.Image * imageStride) + ((long)g * shape.InChannelsPerGroup * shape.InSpatial);
            var packer = new Im2ColBPacker(shape, firstImage, imageStride, chunk.Images, chunk.Images == 1 ? chunk.Start : 0);
            GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, coutG, chunk.Width);
            Gemm.Run(config, false, coutG, chunk.Width, rows, 1f, pw, rows, packer, 0f, pc, ldc, threads);
        }
    }
}

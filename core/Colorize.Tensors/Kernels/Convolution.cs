using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// split GEMMs and col2im channels, so results have the same bits for any thread count.
/// </remarks>
internal static class Convolution
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

    /// <summary>
    /// Writes the im2col matrix of one image and one channel group for the output positions
    /// [<paramref name="start"/>, <paramref name="start"/> + <paramref name="width"/>): row (c·kH + i)·kW + j,
    /// column p holds input[c, y·sH − pH + i·dH, x·sW − pW + j·dW] for position p = y·W_out + x, or 0 in the padding.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="image">The group's channels of one image: [C_in / groups, H, W].</param>
    /// <param name="start">First output position.</param>
    /// <param name="width">Number of output positions.</param>
    /// <param name="columns">[ColumnRows, ld] destination.</param>
    /// <param name="ld">Row length of <paramref name="columns"/> (at least <paramref name="width"/>).</param>
    public static unsafe void Im2Col(in Conv2dShape shape, ReadOnlySpan<float> image, int start, int width, Span<float> columns, int ld)
    {
        CheckColumns(shape, image.Length, start, width, columns.Length, ld);
        fixed (float* src = image)
        fixed (float* dst = columns)
        {
            Im2ColRows(shape, src, start, width, dst, ld, 0, shape.ColumnRows);
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: adds every column entry back onto the image position it was read from.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="columns">[ColumnRows, ld] source.</param>
    /// <param name="ld">Row length of <paramref name="columns"/>.</param>
    /// <param name="start">First output position the columns stand for.</param>
    /// <param name="width">Number of output positions.</param>
    /// <param name="image">The group's channels of one image: [C_in / groups, H, W]; accumulated into.</param>
    public static unsafe void Col2Im(in Conv2dShape shape, ReadOnlySpan<float> columns, int ld, int start, int width, Span<float> image)
    {
        CheckColumns(shape, image.Length, start, width, columns.Length, ld);
        fixed (float* src = columns)
        fixed (float* dst = image)
        {
            Col2ImChannels(shape, src, ld, start, width, dst, 0, shape.InChannelsPerGroup);
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

    private static void CheckColumns(in Conv2dShape shape, int imageLength, int start, int width, int columnsLength, int ld)
    {
        shape.Validate();
        if (start < 0 || width < 0 || start + width > shape.OutSpatial || ld < width)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Positions [{start}, {start + width}) with row length {ld} do not fit the {shape.OutSpatial} output positions.");
        }

        if (imageLength < shape.InChannelsPerGroup * shape.InSpatial)
        {
            throw new ArgumentException($"The image holds {imageLength} elements but one group of one image needs {shape.InChannelsPerGroup * shape.InSpatial}.");
        }

        if (width > 0 && columnsLength < ((long)(shape.ColumnRows - 1) * ld) + width)
        {
            throw new ArgumentException($"The column matrix holds {columnsLength} elements but needs {((long)(shape.ColumnRows - 1) * ld) + width}.");
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

    /// <summary>im2col rows [r0, r1) of one image for output positions [start, start + width); row r goes to columns + (r − r0)·ld.</summary>
    internal static unsafe void Im2ColRows(in Conv2dShape s, float* image, int start, int width, float* columns, int ld, int r0, int r1)
    {
        int kh = s.KernelHeight, kw = s.KernelWidth, h = s.InHeight, w = s.InWidth, wo = s.OutWidth;
        int sh = s.StrideHeight, sw = s.StrideWidth, ph = s.PaddingHeight, pw = s.PaddingWidth, dh = s.DilationHeight, dw = s.DilationWidth;
        int end = start + width;
        // Output rows are walked incrementally (no division per row: rows are short in deep layers).
        int yStart = start / wo, xStart = start - (yStart * wo);
        for (int r = r0; r < r1; r++)
        {
            int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
            float* plane = image + ((long)c * h * w);
            float* dstRow = columns + ((long)(r - r0) * ld);
            int xOffset = (kj * dw) - pw;
            // Output x whose input x = x·sw + xOffset lies inside [0, w).
            int xLo = xOffset >= 0 ? 0 : (-xOffset + sw - 1) / sw;
            int xHi = w - 1 - xOffset < 0 ? 0 : Math.Min(wo, ((w - 1 - xOffset) / sw) + 1);
            for (int p = start, y = yStart, x0 = xStart; p < end; y++, x0 = 0)
            {
                int x1 = Math.Min(wo, x0 + (end - p));
                float* d = dstRow + (p - start);
                int iy = (y * sh) - ph + (ki * dh);
                if ((uint)iy >= (uint)h)
                {
                    new Span<float>(d, x1 - x0).Clear();
                }
                else
                {
                    float* srcRow = plane + ((long)iy * w) + xOffset;
                    int a = Math.Clamp(xLo, x0, x1), b = Math.Clamp(xHi, a, x1);
                    for (int x = x0; x < a; x++)
                    {
                        d[x - x0] = 0f;
                    }

                    if (sw == 1)
                    {
                        new ReadOnlySpan<float>(srcRow + a, b - a).CopyTo(new Span<float>(d + (a - x0), b - a));
                    }
                    else if (sw == 2)
                    {
                        GatherEven(srcRow + (2L * a), d + (a - x0), b - a);
                    }
                    else
                    {
                        for (int x = a; x < b; x++)
                        {
                            d[x - x0] = srcRow[(long)x * sw];
                        }
                    }

                    for (int x = b; x < x1; x++)
                    {
                        d[x - x0] = 0f;
                    }
                }

                p += x1 - x0;
            }
        }
    }

    /// <summary>col2im for input channels [c0, c1) of one image, output positions [start, start + width).</summary>
    private static unsafe void Col2ImChannels(in Conv2dShape s, float* columns, int ld, int start, int width, float* image, int c0, int c1)
    {
        int kh = s.KernelHeight, kw = s.KernelWidth, h = s.InHeight, w = s.InWidth, wo = s.OutWidth;
        int sh = s.StrideHeight, sw = s.StrideWidth, ph = s.PaddingHeight, pw = s.PaddingWidth, dh = s.DilationHeight, dw = s.DilationWidth;
        int end = start + width;
        int yStart = start / wo, xStart = start - (yStart * wo);
        for (int c = c0; c < c1; c++)
        {
            float* plane = image + ((long)c * h * w);
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    int r = (((c * kh) + ki) * kw) + kj;
                    float* srcRow = columns + ((long)r * ld);
                    int xOffset = (kj * dw) - pw;
                    int xLo = xOffset >= 0 ? 0 : (-xOffset + sw - 1) / sw;
                    int xHi = w - 1 - xOffset < 0 ? 0 : Math.Min(wo, ((w - 1 - xOffset) / sw) + 1);
                    for (int p = start, y = yStart, x0 = xStart; p < end; y++, x0 = 0)
                    {
                        int x1 = Math.Min(wo, x0 + (end - p));
                        int iy = (y * sh) - ph + (ki * dh);
                        if ((uint)iy < (uint)h)
                        {
                            float* src = srcRow + (p - start);
                            float* dstRow = plane + ((long)iy * w) + xOffset;
                            int a = Math.Clamp(xLo, x0, x1), b = Math.Clamp(xHi, a, x1);
                            if (sw == 1)
                            {
                                var target = new Span<float>(dstRow + a, b - a);
                                TensorPrimitives.Add(target, new ReadOnlySpan<float>(src + (a - x0), b - a), target);
                            }
                            else if (sw == 2)
                            {
                                ScatterAddEven(src + (a - x0), dstRow + (2L * a), b - a);
                            }
                            else
                            {
                                for (int x = a; x < b; x++)
                                {
                                    dstRow[(long)x * sw] += src[x - x0];
                                }
                            }
                        }

                        p += x1 - x0;
                    }
                }
            }
        }
    }

    /// <summary>d[i] = s[2i] for i &lt; count (the stride-2 im2col row), eight at a time with AVX2.</summary>
    internal static unsafe void GatherEven(float* s, float* d, int count)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            // Reads reach s[2i + 15]; stopping while i ≤ count − 9 keeps them before s[2·(count − 1)], the last element needed.
            for (; i <= count - 9; i += 8)
            {
                Vector256<float> evens = Avx.Shuffle(Avx.LoadVector256(s + (2 * i)), Avx.LoadVector256(s + (2 * i) + 8), 0x88);
                Avx.Store(d + i, Avx2.Permute4x64(evens.AsDouble(), 0xD8).AsSingle());
            }
        }

        for (; i < count; i++)
        {
            d[i] = s[2 * i];
        }
    }

    /// <summary>d[2i] += s[i] for i &lt; count (the stride-2 col2im row); the odd entries in between get + 0.</summary>
    private static unsafe void ScatterAddEven(float* s, float* d, int count)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            // Touches d[2i .. 2i + 15], all inside the row while i ≤ count − 9 (the last one needed is d[2·(count − 1)]).
            for (; i <= count - 9; i += 8)
            {
                Vector256<float> v = Avx.LoadVector256(s + i);
                Vector256<float> low = Avx.UnpackLow(v, Vector256<float>.Zero), high = Avx.UnpackHigh(v, Vector256<float>.Zero);
                float* target = d + (2 * i);
                Avx.Store(target, Avx.Add(Avx.LoadVector256(target), Avx.Permute2x128(low, high, 0x20)));
                Avx.Store(target + 8, Avx.Add(Avx.LoadVector256(target + 8), Avx.Permute2x128(low, high, 0x31)));
            }
        }

        for (; i < count; i++)
        {
            d[2 * i] += s[i];
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Convolution forward pass, input gradient and weight gradient through a zero-padded, stride-phase-split copy of the input, in which
/// every im2col row is one contiguous run.
/// </summary>
/// <remarks>
/// The input of a chunk of whole images is copied once into s_h·s_w phase planes per channel (phase (a, b) holds the
/// padded pixels at rows ≡ a and columns ≡ b modulo the strides), each of Hv × Wv = ⌈H_pad/s_h⌉ × ⌈W_pad/s_w⌉ floats,
/// the chunk's images one after another inside a plane. Output position (i, y, x) becomes the "virtual" column
/// v = i·Hv·Wv + y·Wv + x, and kernel tap (c, ki, kj) reads P[off(c, ki, kj) + v]: im2col row k is the run of P
/// starting at off(k). The GEMM then reads those runs in place, or packs them with plain copies where its kernel has no
/// rows twin (<see cref="OffsetRowsBPacker"/>), instead of building im2col segments with borders and strides; the columns with x ≥ W_out or y ≥ H_out are computed
/// too (a few per cent more work at the sizes where this is used) and dropped. The weight gradient reads the same runs
/// transposed, against a copy of the output gradient that is zero in those columns; the input gradient adds each row of
/// the column gradient back as one run (col2im without borders or strides) and crops the planes. Everything is laid out by shape
/// only and the GEMM's bits do not depend on the thread count, so results are deterministic for any thread count.
/// </remarks>
internal static class PhaseConvolution
{
    // Floats in the larger of a chunk's two buffers (phase planes, virtual output): 16 MiB.
    internal const long ChunkBudget = 1 << 22;

    // Virtual columns per real output position above which the wasted columns cost more than the simpler packing saves.
    private const double MaxWaste = 1.35;

    // Below this many im2col rows (1–4 input channels at 3×3, 3 at 4×4) the planes cost more than they save: measured
    // at 128×128, 1→16 and 3→32 channels run 10–35 % slower this way, 8→16 channels (72 rows) 18–20 % faster.
    internal const int MinColumnRows = 64;

    // Floats a thread must get before a plane copy is split among threads (a 256 KiB copy takes tens of
    // microseconds, about what waking the other thread costs).
    private const long MinCopyFloatsPerThread = 1 << 16;

    /// <summary>
    /// Whether the forward pass and weight gradient go this way: one group, not pointwise, more than one output channel,
    /// stride 1 (where it measured faster; the code handles any stride, and the tests run strided shapes through it), at
    /// least <see cref="MinColumnRows"/> im2col rows, and few wasted columns.
    /// </summary>
    public static bool Applies(in Conv2dShape s)
    {
        if (s.Groups != 1 || s.IsPointwise || s.OutChannels == 1 || s.Batch == 0 || s.OutSpatial == 0 || s.ColumnRows == 0)
        {
            return false;
        }

        if (s.StrideHeight != 1 || s.StrideWidth != 1)
        {
            // Measured (8 images, 2 threads): for the strided 4×4 layers of pix2pix and the PatchGAN and the U-Nets'
            // transposed convolutions the planes are no faster, and the weight gradient with 512+ im2col rows is
            // 5–40 % slower; for stride-1 3×3 layers all three passes are faster (forward 12–35 %, weight gradient 7–30 %).
            return false;
        }

        if (s.ColumnRows < MinColumnRows)
        {
            return false;
        }

        Layout layout = new(s, 1);
        return (double)layout.ImageColumns / s.OutSpatial <= MaxWaste;
    }

    /// <summary>
    /// Whether the input gradient goes this way too: as <see cref="Applies"/>, for inputs of at most 32×32. On larger
    /// inputs the passes over multi-megabyte planes (clear, spread, crop) cost more than the col2im borders they save
    /// (measured: 16→16 channels at 128×128, 16–18 ms through col2im, 21 ms this way).
    /// </summary>
    public static bool AppliesToInputGradient(in Conv2dShape s)
        => Applies(s) && s.InSpatial <= 32 * 32;

    /// <summary>output = conv2d(input, weight) without bias; the shape must satisfy <see cref="Applies"/> (tests also run others).</summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in, kH, kW].</param>
    /// <param name="output">[N, C_out, H_out, W_out]; overwritten.</param>
    /// <param name="threads">Threads the GEMM may use.</param>
    /// <param name="chunkBudget">Floats per chunk buffer (tests pass small ones to get several chunks).</param>
    public static void Forward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads, long chunkBudget = ChunkBudget)
        => Forward(shape, input, weight, output, threads, default, chunkBudget);

    /// <summary>output = epilogue(conv2d(input, weight)), the epilogue applied as each output row is copied out of the padded layout.</summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in, kH, kW].</param>
    /// <param name="output">[N, C_out, H_out, W_out]; overwritten.</param>
    /// <param name="threads">Threads the GEMM may use.</param>
    /// <param name="epilogue">Bias, addend and ReLU (see <see cref="ConvEpilogue"/>).</param>
    /// <param name="chunkBudget">Floats per chunk buffer (tests pass small ones to get several chunks).</param>
    public static unsafe void Forward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads, in ConvEpilogue epilogue, long chunkBudget = ChunkBudget)
    {
        ConvEpilogue fused = epilogue;
        Conv2dShape s = shape;
        int perChunk = ImagesPerChunk(s, chunkBudget), rows = s.ColumnRows, cout = s.OutChannels;
        long outSpatial = s.OutSpatial;
        fixed (float* pin = input)
        fixed (float* pw = weight)
        fixed (float* pout = output)
        {
            for (int n0 = 0; n0 < s.Batch; n0 += perChunk)
            {
                var layout = new Layout(s, Math.Min(perChunk, s.Batch - n0));
                using (var buffers = new ChunkBuffers(layout, cout, rows))
                {
                    fixed (float* pp = buffers.Planes)
                    fixed (float* pc = buffers.Staging)
                    fixed (int* po = buffers.Offsets)
                    {
                        layout.Fill(pin + ((long)n0 * s.InChannels * s.InSpatial), pp, threads);
                        layout.Offsets(po);
                        var packer = new OffsetRowsBPacker(pp, po);
                        GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, cout, layout.Columns);
                        Gemm.Run(config, false, cout, layout.Columns, rows, 1f, pw, rows, packer, 0f, pc, layout.Columns, threads);
                        // Keep the real columns: output row y of image i is virtual columns [i·Hv·Wv + y·Wv, + W_out).
                        nint outAddress = (nint)(pout + ((long)n0 * cout * outSpatial)), stagingAddress = (nint)pc;
                        Layout chunk = layout;
                        SplitChannels(cout, (long)cout * layout.Columns, threads, (c0, c1) =>
                        {
                            for (int co = c0; co < c1; co++)
                            {
                                for (int i = 0; i < chunk.Images; i++)
                                {
                                    long plane = (((long)(n0 + i) * cout) + co) * outSpatial;
                                    float* dst = (float*)outAddress + ((((long)i * cout) + co) * outSpatial);
                                    float* src = (float*)stagingAddress + ((long)co * chunk.Columns) + ((long)i * chunk.ImageColumns);
                                    for (int y = 0; y < chunk.OutHeight; y++)
                                    {
                                        if (fused.IsEmpty)
                                        {
                                            Unsafe.CopyBlockUnaligned(dst + ((long)y * chunk.OutWidth), src + ((long)y * chunk.Wv), (uint)(chunk.OutWidth * sizeof(float)));
                                        }
                                        else
                                        {
                                            fused.Write(new ReadOnlySpan<float>(src + ((long)y * chunk.Wv), chunk.OutWidth), new Span<float>(dst + ((long)y * chunk.OutWidth), chunk.OutWidth), co, plane + ((long)y * chunk.OutWidth));
                                        }
                                    }
                                }
                            }
                        });
                    }
                }
            }
        }
    }

    /// <summary>gradWeight = Σ_n gradOutput_n · im2col(input_n)ᵀ (overwritten); the shape must satisfy <see cref="Applies"/> (tests also run others).</summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="gradOutput">[N, C_out, H_out, W_out].</param>
    /// <param name="gradWeight">[C_out, C_in, kH, kW]; overwritten.</param>
    /// <param name="threads">Threads the GEMM may use.</param>
    /// <param name="chunkBudget">Floats per chunk buffer (tests pass small ones to get several chunks).</param>
    public static unsafe void BackwardWeight(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight, int threads, long chunkBudget = ChunkBudget)
    {
        Conv2dShape s = shape;
        int perChunk = ImagesPerChunk(s, chunkBudget), rows = s.ColumnRows, cout = s.OutChannels;
        long outSpatial = s.OutSpatial;
        fixed (float* pin = input)
        fixed (float* pdy = gradOutput)
        fixed (float* pdw = gradWeight)
        {
            for (int n0 = 0; n0 < s.Batch; n0 += perChunk)
            {
                var layout = new Layout(s, Math.Min(perChunk, s.Batch - n0));
                using (var buffers = new ChunkBuffers(layout, cout, rows))
                {
                    fixed (float* pp = buffers.Planes)
                    fixed (float* pc = buffers.Staging)
                    fixed (int* po = buffers.Offsets)
                    {
                        layout.Fill(pin + ((long)n0 * s.InChannels * s.InSpatial), pp, threads);
                        layout.Offsets(po);
                        // The output gradient in virtual columns, zero in the dropped ones so they add nothing.
                        layout.Spread(pdy + ((long)n0 * cout * outSpatial), cout, pc, threads);

                        var packer = new OffsetRowsTransposedBPacker(pp, po);
                        GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, cout, rows);
                        // Chunks are visited in a fixed order, so the sum over the batch is reproducible.
                        Gemm.Run(config, false, cout, rows, layout.Columns, 1f, pc, layout.Columns, packer, n0 == 0 ? 0f : 1f, pdw, rows, threads);
                    }
                }
            }
        }
    }

    /// <summary>
    /// gradInput = conv2dᵀ(gradOutput, weight) (overwritten); the engine uses it where <see cref="AppliesToInputGradient"/> holds (tests also run others).
    /// The column gradient Wᵀ·dY is computed for blocks of virtual columns and each of its rows added as one run onto the
    /// phase planes of the input gradient (col2im without per-row borders), which are then cropped into gradInput.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="gradOutput">[N, C_out, H_out, W_out].</param>
    /// <param name="weight">[C_out, C_in, kH, kW].</param>
    /// <param name="gradInput">[N, C_in, H, W]; overwritten.</param>
    /// <param name="threads">Threads the GEMM and the scatter may use.</param>
    /// <param name="chunkBudget">Floats per chunk buffer (tests pass small ones to get several chunks).</param>
    /// <param name="blockColumns">Virtual columns per column-gradient block (0 = automatic; tests use odd widths).</param>
    public static unsafe void BackwardInput(in Conv2dShape shape, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput, int threads, long chunkBudget = ChunkBudget, int blockColumns = 0)
    {
        Conv2dShape s = shape;
        int perChunk = ImagesPerChunk(s, chunkBudget), rows = s.ColumnRows, cout = s.OutChannels, cin = s.InChannels;
        int taps = s.KernelHeight * s.KernelWidth;
        long outSpatial = s.OutSpatial;
        // Blocks small enough for the column gradient to stay in cache between the GEMM and the scatter.
        int block = blockColumns > 0 ? blockColumns : (int)Math.Clamp((1L << 22) / rows, 256, 2048);
        fixed (float* pdy = gradOutput)
        fixed (float* pw = weight)
        fixed (float* pdx = gradInput)
        {
            for (int n0 = 0; n0 < s.Batch; n0 += perChunk)
            {
                var layout = new Layout(s, Math.Min(perChunk, s.Batch - n0));
                int columnsPerBlock = Math.Min(block, layout.Columns);
                using var buffers = new ChunkBuffers(layout, cout, rows);
                float[] columns = KernelBuffers.RentFloats(rows * columnsPerBlock);
                try
                {
                    fixed (float* pp = buffers.Planes)
                    fixed (float* pc = buffers.Staging)
                    fixed (float* pcol = columns)
                    fixed (int* po = buffers.Offsets)
                    {
                        new Span<float>(pp, (int)layout.PlaneFloats).Clear();
                        layout.Offsets(po);
                        layout.Spread(pdy + ((long)n0 * cout * outSpatial), cout, pc, threads);
                        nint planesAddress = (nint)pp, columnsAddress = (nint)pcol, offsetsAddress = (nint)po;
                        for (int v0 = 0; v0 < layout.Columns; v0 += columnsPerBlock)
                        {
                            int width = Math.Min(columnsPerBlock, layout.Columns - v0);
                            Gemm.Sgemm(true, false, rows, width, cout, 1f, weight, rows, buffers.Staging.AsSpan(v0), layout.Columns, 0f, columns, width, threads);
                            int parts = (int)Math.Clamp((long)rows * width / (1 << 16), 1, Math.Min(threads, cin));
                            int blockStart = v0;
                            void Part(int part)
                            {
                                // Each part owns whole input channels, whose planes no other part touches.
                                int c0 = (int)((long)cin * part / parts), c1 = (int)((long)cin * (part + 1) / parts);
                                float* planeBase = (float*)planesAddress + blockStart;
                                for (int k = c0 * taps; k < c1 * taps; k++)
                                {
                                    var target = new Span<float>(planeBase + ((int*)offsetsAddress)[k], width);
                                    System.Numerics.Tensors.TensorPrimitives.Add(target, new ReadOnlySpan<float>((float*)columnsAddress + ((long)k * width), width), target);
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

                        layout.Crop(pp, pdx + ((long)n0 * cin * s.InSpatial), threads);
                    }
                }
                finally
                {
                    KernelBuffers.Return(columns);
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(c0, c1) over channel ranges covering [0, <paramref name="count"/>), split among
    /// threads when the copy is big enough. The plane building, spreading, cropping and extracting copies ran on
    /// the calling thread alone while the other waited for the next GEMM: a few percent of a training step on two
    /// threads. Every channel's copy is the same whichever thread does it, so the bits do not depend on the split.
    /// </summary>
    private static void SplitChannels(int count, long floats, int threads, Action<int, int> body)
    {
        int parts = (int)Math.Clamp(floats / MinCopyFloatsPerThread, 1, Math.Max(1, Math.Min(threads, count)));
        if (parts == 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            body((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts)));
    }

    private static int ImagesPerChunk(in Conv2dShape s, long budget)
    {
        var one = new Layout(s, 1);
        long perImage = Math.Max(one.PlaneFloats, (long)s.OutChannels * one.ImageColumns);
        return (int)Math.Clamp(budget / Math.Max(1, perImage), 1, s.Batch);
    }

    /// <summary>The pooled buffers every pass needs per chunk: the phase planes, a staging matrix of
    /// <c>stagingRows</c> × virtual columns, and the per-im2col-row plane offsets; returned on dispose.</summary>
    private readonly struct ChunkBuffers : IDisposable
    {
        public ChunkBuffers(in Layout layout, int stagingRows, int rows)
        {
            // The slack: a partial tile of a rows kernel reads a little past the last run.
            Planes = KernelBuffers.RentFloats((int)layout.PlaneFloats + OffsetRowsBPacker.Slack);
            Staging = KernelBuffers.RentFloats(stagingRows * layout.Columns);
            Offsets = KernelBuffers.RentInts(rows);
        }

        public float[] Planes { get; }

        public float[] Staging { get; }

        public int[] Offsets { get; }

        public void Dispose()
        {
            KernelBuffers.Return(Planes);
            KernelBuffers.Return(Staging);
            KernelBuffers.Return(Offsets);
        }
    }

    /// <summary>The phase-plane layout of a chunk of whole images.</summary>
    private readonly struct Layout
    {
        private readonly Conv2dShape _s;

        public Layout(in Conv2dShape s, int images)
        {
            _s = s;
            Images = images;
            Hv = (s.InHeight + (2 * s.PaddingHeight) + s.StrideHeight - 1) / s.StrideHeight;
            Wv = (s.InWidth + (2 * s.PaddingWidth) + s.StrideWidth - 1) / s.StrideWidth;
            OutHeight = s.OutHeight;
            OutWidth = s.OutWidth;
            ImageColumns = Hv * Wv;
            PlaneFloats = (long)s.StrideHeight * s.StrideWidth * s.InChannels * images * ImageColumns;
            // Up to the last real position, so no run reads past the planes.
            Columns = ((images - 1) * ImageColumns) + ((OutHeight - 1) * Wv) + OutWidth;
        }

        public int Images { get; }

        public int Hv { get; }

        public int Wv { get; }

        public int OutHeight { get; }

        public int OutWidth { get; }

        /// <summary>Virtual columns per image (Hv·Wv).</summary>
        public int ImageColumns { get; }

        /// <summary>Virtual columns of the chunk that the GEMMs cover.</summary>
        public int Columns { get; }

        /// <summary>Floats in all phase planes.</summary>
        public long PlaneFloats { get; }

        private long ChannelPlane => (long)Images * ImageColumns;

        /// <summary>Copies [images, channels, H_out, W_out] into virtual columns (channel rows of <see cref="Columns"/> floats), zero elsewhere.</summary>
        public unsafe void Spread(float* source, int channels, float* virtualRows, int threads)
        {
            long outSpatial = (long)OutHeight * OutWidth;
            Layout self = this;
            nint sourceAddress = (nint)source, rowsAddress = (nint)virtualRows;
            SplitChannels(channels, (long)channels * Columns, threads, (c0, c1) =>
            {
                // Channel c owns virtual row c: clear it, then copy its real columns in.
                new Span<float>((float*)rowsAddress + ((long)c0 * self.Columns), (c1 - c0) * self.Columns).Clear();
                for (int c = c0; c < c1; c++)
                {
                    for (int i = 0; i < self.Images; i++)
                    {
                        float* src = (float*)sourceAddress + ((((long)i * channels) + c) * outSpatial);
                        float* dst = (float*)rowsAddress + ((long)c * self.Columns) + ((long)i * self.ImageColumns);
                        for (int y = 0; y < self.OutHeight; y++)
                        {
                            Unsafe.CopyBlockUnaligned(dst + ((long)y * self.Wv), src + ((long)y * self.OutWidth), (uint)(self.OutWidth * sizeof(float)));
                        }
                    }
                }
            });
        }

        /// <summary>The inverse of <see cref="Fill"/> on the unpadded pixels: writes every input pixel of the chunk from its phase plane.</summary>
        public unsafe void Crop(float* planes, float* images, int threads)
        {
            Layout self = this;
            nint planesAddress = (nint)planes, imagesAddress = (nint)images;
            SplitChannels(_s.InChannels, (long)Images * _s.InChannels * _s.InSpatial, threads, (c0, c1) => self.CropChannels((float*)planesAddress, (float*)imagesAddress, c0, c1));
        }

        private unsafe void CropChannels(float* planes, float* images, int c0, int c1)
        {
            int h = _s.InHeight, w = _s.InWidth, sh = _s.StrideHeight, sw = _s.StrideWidth, ph = _s.PaddingHeight, pw = _s.PaddingWidth;
            int cin = _s.InChannels;
            long inSpatial = _s.InSpatial;
            for (int c = c0; c < c1; c++)
            {
                for (int i = 0; i < Images; i++)
                {
                    float* dst = images + ((((long)i * cin) + c) * inSpatial);
                    for (int iy = 0; iy < h; iy++)
                    {
                        int pr = iy + ph, a = pr % sh;
                        float* d = dst + ((long)iy * w);
                        long rowStart = ((long)i * ImageColumns) + ((long)(pr / sh) * Wv);
                        if (sw == 1)
                        {
                            float* src = planes + ((((long)a * cin) + c) * ChannelPlane) + rowStart + pw;
                            Unsafe.CopyBlockUnaligned(d, src, (uint)(w * sizeof(float)));
                            continue;
                        }

                        if (sw == 2)
                        {
                            // Even input columns 2j come from phase column pw % 2 at j + pw/2, odd ones from the other
                            // phase at j + (pw + 1)/2: interleave the two runs, eight pairs at a time.
                            float* even = planes + ((((long)((a * 2) + (pw & 1)) * cin) + c) * ChannelPlane) + rowStart + (pw >> 1);
                            float* odd = planes + ((((long)((a * 2) + ((pw + 1) & 1)) * cin) + c) * ChannelPlane) + rowStart + ((pw + 1) >> 1);
                            int ix = 0;
                            if (Avx.IsSupported)
                            {
                                for (; ix + 16 <= w; ix += 16)
                                {
                                    Vector256<float> e = Vector256.Load(even + (ix >> 1)), o = Vector256.Load(odd + (ix >> 1));
                                    Vector256<float> low = Avx.UnpackLow(e, o), high = Avx.UnpackHigh(e, o);
                                    Vector256.Store(Avx.Permute2x128(low, high, 0x20), d + ix);
                                    Vector256.Store(Avx.Permute2x128(low, high, 0x31), d + ix + 8);
                                }
                            }

                            for (; ix < w; ix++)
                            {
                                d[ix] = (ix & 1) == 0 ? even[ix >> 1] : odd[ix >> 1];
                            }

                            continue;
                        }

                        for (int ix = 0; ix < w; ix++)
                        {
                            int pc = ix + pw;
                            d[ix] = planes[((((long)((a * sw) + (pc % sw)) * cin) + c) * ChannelPlane) + rowStart + (pc / sw)];
                        }
                    }
                }
            }
        }

        /// <summary>off(c, ki, kj) for every im2col row.</summary>
        public unsafe void Offsets(int* offsets)
        {
            int kh = _s.KernelHeight, kw = _s.KernelWidth, sh = _s.StrideHeight, sw = _s.StrideWidth, cin = _s.InChannels;
            for (int c = 0; c < cin; c++)
            {
                for (int ki = 0; ki < kh; ki++)
                {
                    int py = ki * _s.DilationHeight;
                    for (int kj = 0; kj < kw; kj++)
                    {
                        int px = kj * _s.DilationWidth;
                        long phase = ((long)(py % sh) * sw) + (px % sw);
                        offsets[(((c * kh) + ki) * kw) + kj] = checked((int)((((phase * cin) + c) * ChannelPlane) + ((long)(py / sh) * Wv) + (px / sw)));
                    }
                }
            }
        }

        /// <summary>Writes every phase plane of the chunk whose first image starts at <paramref name="images"/>.</summary>
        public unsafe void Fill(float* images, float* planes, int threads)
        {
            Layout self = this;
            nint imagesAddress = (nint)images, planesAddress = (nint)planes;
            SplitChannels(_s.InChannels, PlaneFloats, threads, (c0, c1) => self.FillChannels((float*)imagesAddress, (float*)planesAddress, c0, c1));
        }

        private unsafe void FillChannels(float* images, float* planes, int c0, int c1)
        {
            int h = _s.InHeight, w = _s.InWidth, sh = _s.StrideHeight, sw = _s.StrideWidth, ph = _s.PaddingHeight, pw = _s.PaddingWidth;
            int cin = _s.InChannels;
            long inSpatial = _s.InSpatial;
            for (int a = 0; a < sh; a++)
            {
                for (int b = 0; b < sw; b++)
                {
                    // Phase column x' holds padded column x'·sw + b, i.e. input column x'·sw + b − pw: inside for x' in [xLo, xHi).
                    int xLo = Math.Max(0, (pw - b + sw - 1) / sw), xHi = Math.Clamp(((w - 1 + pw - b) / sw) + 1, xLo, Wv);
                    if (w - 1 + pw - b < 0)
                    {
                        xHi = xLo;
                    }

                    for (int c = c0; c < c1; c++)
                    {
                        float* plane = planes + ((((long)((a * sw) + b) * cin) + c) * ChannelPlane);
                        for (int i = 0; i < Images; i++)
                        {
                            float* src = images + ((((long)i * cin) + c) * inSpatial);
                            for (int y = 0; y < Hv; y++)
                            {
                                float* d = plane + ((long)i * ImageColumns) + ((long)y * Wv);
                                int iy = (y * sh) + a - ph;
                                if ((uint)iy >= (uint)h)
                                {
                                    new Span<float>(d, Wv).Clear();
                                    continue;
                                }

                                float* row = src + ((long)iy * w) + b - pw;
                                for (int x = 0; x < xLo; x++)
                                {
                                    d[x] = 0f;
                                }

                                if (sw == 1)
                                {
                                    Unsafe.CopyBlockUnaligned(d + xLo, row + xLo, (uint)((xHi - xLo) * sizeof(float)));
                                }
                                else if (sw == 2)
                                {
                                    Convolution.GatherEven(row + (2L * xLo), d + xLo, xHi - xLo);
                                }
                                else
                                {
                                    for (int x = xLo; x < xHi; x++)
                                    {
                                        d[x] = row[(long)x * sw];
                                    }
                                }

                                for (int x = xHi; x < Wv; x++)
                                {
                                    d[x] = 0f;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// <summary>op(B)[p, j] = planes[offsets[j] + p]: each column is a contiguous run, packed by 8×8 transposes.</summary>
internal readonly unsafe struct OffsetRowsTransposedBPacker(float* planes, int* offsets) : IGemmBPacker
{
    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        const int Group = 8;
        float** rows = stackalloc float*[Group];
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* panel = dst + ((nint)jr * kc);
            for (int g0 = 0; g0 < nr; g0 += Group)
            {
                int width = Math.Min(Group, nr - g0);
                int valid = Math.Clamp(nc - jr - g0, 0, width);
                for (int t = 0; t < valid; t++)
                {
                    rows[t] = planes + offsets[j0 + jr + g0 + t] + p0;
                }

                int k = 0;
                if (width == Group && Avx.IsSupported)
                {
                    for (; k <= kc - Group; k += Group)
                    {
                        Transpose8x8(rows, k, valid, panel + ((nint)k * nr) + g0, nr);
                    }
                }

                for (; k < kc; k++)
                {
                    float* d = panel + ((nint)k * nr) + g0;
                    for (int t = 0; t < width; t++)
                    {
                        d[t] = t < valid ? rows[t][k] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>d[j·stride + t] = rows[t][k + j] for j &lt; 8 (0 for t ≥ valid).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float** rows, int k, int valid, float* d, int stride)
    {
        Vector256<float> r0 = Row(rows, 0, k, valid), r1 = Row(rows, 1, k, valid), r2 = Row(rows, 2, k, valid), r3 = Row(rows, 3, k, valid);
        Vector256<float> r4 = Row(rows, 4, k, valid), r5 = Row(rows, 5, k, valid), r6 = Row(rows, 6, k, valid), r7 = Row(rows, 7, k, valid);
        GemmPacking.StoreTransposed(r0, r1, r2, r3, r4, r5, r6, r7, d, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(float** rows, int t, int k, int valid)
        => t < valid ? Vector256.Load(rows[t] + k) : Vector256<float>.Zero;
}

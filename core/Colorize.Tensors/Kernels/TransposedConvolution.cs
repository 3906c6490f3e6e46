namespace Colorize.Tensors.Kernels;

/// <summary>
/// Convolution forward pass on small maps as the transposed product: C_tᵀ[position, out channel] = im2col(input)ᵀ ·
/// weightᵀ, so the few output positions are the GEMM's rows and the many output channels its columns.
/// </summary>
/// <remarks>
/// On a 7×7 or 14×14 map the usual product (rows = output channels, columns = positions) leaves a quarter of its
/// 32-column tiles empty: 49 positions take two 32-column tiles (64), 196 take 224 virtual columns of the phase planes.
/// Transposed, the positions fill 14- or 8-row tiles (49 → 56, 196 → 196, 256 → 256) and the channels, multiples of 32
/// in every network here, fill the columns exactly. The A panels are the im2col rows read as B panels of width MR
/// (<see cref="PaddedIm2ColBPacker"/>: panel[k][r] = im2col[k][position r], which is the A micro-panel layout, gathered
/// from a zero-padded copy of the input), the B panels
/// are weightᵀ (<see cref="GemmPacking.PackB"/> of the weight read transposed). Each output element gets the same
/// operations as in the usual product: a fused multiply-add chain over k in the same KC blocks, the first block written
/// with beta 0 and later ones added with beta 1, and fma(x, w, acc) = fma(w, x, acc) exactly; so the bits are those of
/// the other paths, for any thread count (threads split the channels, or the positions when there are too few channel
/// tiles; never K). The result goes through a staging matrix and is transposed into the output with the epilogue.
/// </remarks>
internal static class TransposedConvolution
{
    // Positions (batch × map) above which the usual product is faster: measured (conv-paths, one image, 1 and 2
    // threads) 7×7 and 14×14 maps 0–13 % faster this way, 16×16 the same, 28×28 and 32×32 2–11 % slower, where the
    // phase planes already cover the product to within 10 %.
    internal const int MaxPositions = 256;

    // The transposed cover must be at least this much tighter than the usual one (it pays a transposed copy-out).
    private const double MinGain = 0.95;

    /// <summary>Whether <see cref="Applies"/> may say yes; the benchmarks turn it off to time the usual path in the same process.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether the forward pass goes this way: one group, more than one output channel per group, at most
    /// <see cref="MaxPositions"/> output positions in the batch, and tiles that cover the transposed product more tightly
    /// than the usual one (the phase planes' virtual columns where that path would run).
    /// </summary>
    public static bool Applies(in Conv2dShape s)
    {
        if (!Enabled || s.Groups != 1 || s.OutChannels <= 1 || s.Batch == 0 || s.OutSpatial == 0 || s.ColumnRows == 0)
        {
            return false;
        }

        long positions = (long)s.Batch * s.OutSpatial;
        if (positions > MaxPositions || !Gemm.IsSupported(Gemm.DefaultKernel))
        {
            return false;
        }

        return TransposedCover(s) <= MinGain * UsualCover(s);
    }

    /// <summary>Multiply-adds the tiles of the transposed product compute, padding included.</summary>
    internal static long TransposedCover(in Conv2dShape s)
    {
        int positions = s.Batch * s.OutSpatial;
        GemmConfig t = GemmConfig.For(Gemm.DefaultKernel, positions, s.OutChannels);
        return (long)RoundUp(positions, t.MR) * RoundUp(s.OutChannels, t.NR) * s.ColumnRows;
    }

    /// <summary>Multiply-adds the tiles of the usual product compute (through the phase planes where that path applies).</summary>
    internal static long UsualCover(in Conv2dShape s)
    {
        long columns = (long)s.Batch * s.OutSpatial;
        if (PhaseConvolution.Applies(s))
        {
            // One image per chunk at these sizes: virtual row length Wv, up to the last real position.
            int wv = s.InWidth + (2 * s.PaddingWidth);
            columns = (long)s.Batch * (((s.OutHeight - 1) * wv) + s.OutWidth);
        }

        GemmConfig u = GemmConfig.For(Gemm.DefaultKernel, s.OutChannels, (int)Math.Min(int.MaxValue, columns));
        return RoundUp(s.OutChannels, u.MR) * RoundUp(columns, u.NR) * s.ColumnRows;
    }

    /// <summary>output = epilogue(conv2d(input, weight)); any one-group shape is computed correctly (tests run shapes <see cref="Applies"/> refuses).</summary>
    /// <param name="shape">The convolution geometry (one group).</param>
    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in, kH, kW].</param>
    /// <param name="output">[N, C_out, H_out, W_out]; overwritten. Must not overlap the input or the epilogue's addend.</param>
    /// <param name="threads">Threads to use at most.</param>
    /// <param name="epilogue">Bias, addend and ReLU (see <see cref="ConvEpilogue"/>).</param>
    /// <param name="config">The kernel and blocking (null: the default kernel's for this shape; tests force small blocks).</param>
    public static unsafe void Forward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads, in ConvEpilogue epilogue, GemmConfig? config = null)
    {
        if (shape.Groups != 1)
        {
            throw new ArgumentException("The transposed path takes one group only.", nameof(shape));
        }

        if (input.Length < shape.InputLength || weight.Length < shape.WeightLength || output.Length < shape.OutputLength)
        {
            throw new ArgumentException("A span is too short for the convolution.");
        }

        int positions = shape.Batch * shape.OutSpatial, cout = shape.OutChannels, k = shape.ColumnRows;
        if (positions == 0 || cout == 0)
        {
            return;
        }

        GemmConfig cfg = config ?? GemmConfig.For(Gemm.DefaultKernel, positions, cout);
        int rowTiles = DivideRoundingUp(positions, cfg.MR), colTiles = DivideRoundingUp(cout, cfg.NR);
        // Whole tiles only, so no edge tile needs the scratch path: the pad rows read zero im2col rows and the pad
        // columns zero weight panels, and both are dropped when the staging matrix is copied out.
        int ldc = colTiles * cfg.NR;
        int hp = shape.InHeight + (2 * shape.PaddingHeight), wp = shape.InWidth + (2 * shape.PaddingWidth);
        long paddedLength = (long)shape.Batch * shape.InChannels * hp * wp;
        if (paddedLength > int.MaxValue)
        {
            throw new ArgumentException("The padded input is too large for the transposed path.", nameof(shape));
        }

        float[] staging = KernelBuffers.RentFloats(rowTiles * cfg.MR * ldc);
        float[] padded = KernelBuffers.RentFloats((int)paddedLength);
        int[] offsets = new int[positions];
        try
        {
            Pad(shape, input, padded.AsSpan(0, (int)paddedLength));
            for (int j = 0; j < positions; j++)
            {
                int image = j / shape.OutSpatial, y = j % shape.OutSpatial / shape.OutWidth, x = j % shape.OutWidth;
                offsets[j] = (int)(((long)image * shape.InChannels * hp * wp) + ((long)y * shape.StrideHeight * wp) + ((long)x * shape.StrideWidth));
            }

            fixed (float* pin = padded)
            fixed (int* po = offsets)
            fixed (float* pw = weight)
            fixed (float* pout = output)
            fixed (float* pc = staging)
            {
                if (k == 0)
                {
                    new Span<float>(pc, rowTiles * cfg.MR * ldc).Clear();
                }

                var job = new Job(shape, cfg, new PaddedIm2ColBPacker(shape, pin, po), pw, pout, pc, ldc, epilogue);
                int parts = (int)Math.Clamp((double)positions * cout * k / cfg.MinMultiplyAddsPerThread, 1, Gemm.ResolveThreads(threads));
                // Each part packs the im2col panels of its positions and the weight panels of its channels: split the
                // longer side, so the panels every part packs in full are the smaller ones.
                bool byChannels = (cout >= positions && colTiles >= parts) || rowTiles < parts;
                (int rowParts, int colParts) = byChannels ? (1, Math.Min(parts, colTiles)) : (parts, 1);
                if (rowParts * colParts == 1)
                {
                    job.Run(0, rowTiles, 0, colTiles);
                }
                else
                {
                    Parallel.For(0, rowParts * colParts, new ParallelOptions { MaxDegreeOfParallelism = rowParts * colParts }, part =>
                    {
                        int r = part / colParts, q = part % colParts;
                        job.Run(
                            (int)((long)rowTiles * r / rowParts), (int)((long)rowTiles * (r + 1) / rowParts),
                            (int)((long)colTiles * q / colParts), (int)((long)colTiles * (q + 1) / colParts));
                    });
                }
            }
        }
        finally
        {
            KernelBuffers.Return(staging);
            KernelBuffers.Return(padded);
        }
    }

    /// <summary>padded[n, c] = the input plane inside a border of pH rows and pW columns of zeros.</summary>
    private static void Pad(in Conv2dShape s, ReadOnlySpan<float> input, Span<float> padded)
    {
        int hp = s.InHeight + (2 * s.PaddingHeight), wp = s.InWidth + (2 * s.PaddingWidth), planes = s.Batch * s.InChannels;
        if (s.PaddingHeight != 0 || s.PaddingWidth != 0)
        {
            padded.Clear();
        }

        for (int plane = 0; plane < planes; plane++)
        {
            for (int y = 0; y < s.InHeight; y++)
            {
                input.Slice(((plane * s.InHeight) + y) * s.InWidth, s.InWidth)
                    .CopyTo(padded.Slice((plane * hp * wp) + ((y + s.PaddingHeight) * wp) + s.PaddingWidth));
            }
        }
    }

    private static int DivideRoundingUp(int x, int y) => (x + y - 1) / y;

    private static long RoundUp(long x, int tile) => (x + tile - 1) / tile * tile;

    /// <summary>One call's pointers; <see cref="Run"/> computes a rectangle of whole tiles and copies it out.</summary>
    private sealed unsafe class Job(Conv2dShape shape, GemmConfig cfg, PaddedIm2ColBPacker packer, float* weight, float* output, float* staging, int ldc, ConvEpilogue epilogue)
    {
        public void Run(int rowTile0, int rowTile1, int colTile0, int colTile1)
        {
            if (rowTile0 >= rowTile1 || colTile0 >= colTile1)
            {
                return;
            }

            int mr = cfg.MR, nr = cfg.NR, k = shape.ColumnRows, cout = shape.OutChannels, positions = shape.Batch * shape.OutSpatial;
            int kcMax = Math.Min(cfg.KC, Math.Max(1, k)), cols = (colTile1 - colTile0) * nr, rows = (rowTile1 - rowTile0) * mr;
            int n0 = colTile0 * nr, nValid = Math.Min(cout, colTile1 * nr) - n0;
            int r0 = rowTile0 * mr, rValid = Math.Min(positions, rowTile1 * mr) - r0;
            nint aRegion = (((nint)rows * kcMax) + GemmPacking.Slack + 15) & ~15;
            nint bRegion = (((nint)cols * kcMax) + GemmPacking.Slack + 15) & ~15;
            var kernel = cfg.Kernel;
            GemmWorkspace ws = GemmWorkspace.Rent(aRegion + bRegion);
            try
            {
                float* packedA = ws.Memory, packedB = packedA + aRegion;
                for (int pc = 0; pc < k; pc += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pc);
                    float beta = pc == 0 ? 0f : 1f;
                    // weightᵀ[p, co] = weight[co, p]: the channels' weight rows, transposed into NR-wide panels.
                    GemmPacking.PackB(true, weight, k, pc, kc, n0, nValid, nr, packedB);
                    // All the part's positions in one walk of each im2col row (MR-wide panels, one after another):
                    // a walk per row tile would spend more on setting up each 8- or 14-float segment than on copying it.
                    packer.Pack(pc, kc, r0, rValid, mr, packedA);
                    // A weight panel stays in L1 while the part's position panels (a few tens of KiB) stream past it.
                    for (int jt = 0; jt < cols; jt += nr)
                    {
                        float* bp = packedB + ((nint)jt * kc);
                        for (int it = 0; it < rows; it += mr)
                        {
                            kernel(kc, packedA + ((nint)it * kc), bp, staging + ((long)(r0 + it) * ldc) + n0 + jt, ldc, 1f, beta);
                        }
                    }
                }
            }
            finally
            {
                ws.Release();
            }

            CopyOut(rowTile0 * mr, Math.Min(positions, rowTile1 * mr), n0, n0 + nValid);
        }

        /// <summary>output[image, co, position] = epilogue(staging[image·spatial + position, co]) for the rectangle's real elements.</summary>
        private void CopyOut(int r0, int r1, int c0, int c1)
        {
            int spatial = shape.OutSpatial, cout = shape.OutChannels;
            float[]? rented = null;
            int longest = Math.Min(r1 - r0, spatial);
            Span<float> row = longest <= 256 ? stackalloc float[longest] : (rented = KernelBuffers.RentFloats(longest));
            try
            {
                for (int co = c0; co < c1; co++)
                {
                    for (int r = r0; r < r1;)
                    {
                        // A run of positions inside one image.
                        int image = r / spatial, p0 = r - (image * spatial), run = Math.Min(r1 - r, spatial - p0);
                        float* src = staging + ((long)r * ldc) + co;
                        Span<float> values = row[..run];
                        for (int i = 0; i < run; i++)
                        {
                            values[i] = src[(long)i * ldc];
                        }

                        long offset = (((long)image * cout) + co) * spatial + p0;
                        var destination = new Span<float>(output + offset, run);
                        if (epilogue.IsEmpty)
                        {
                            values.CopyTo(destination);
                        }
                        else
                        {
                            epilogue.Write(values, destination, co, offset);
                        }

                        r += run;
                    }
                }
            }
            finally
            {
                if (rented is not null)
                {
                    KernelBuffers.Return(rented);
                }
            }
        }
    }
}

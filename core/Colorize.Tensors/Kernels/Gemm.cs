using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major spans, BLAS style:
/// <c>C = alpha · op(A) · op(B) + beta · C</c> with op(X) = X or Xᵀ, op(A) m×k, op(B) k×n, C m×n.
/// </summary>
/// <remarks>
/// The classic Goto/BLIS structure: op(A) is packed into MR-row micro-panels and op(B) into NR-column
/// micro-panels (zero-padded, 64-byte aligned), the K dimension is cut into fixed KC blocks and a register-blocked
/// SIMD micro-kernel computes each MR×NR tile of C. Threads split C into disjoint rectangles; since the K
/// blocking and the per-element operation sequence do not depend on the split, the result has the same bits
/// for any thread count.
/// </remarks>
internal static class Gemm
{
    /// <summary>The environment variable that forces a micro-kernel: scalar, vector128, vector256 or avx512.</summary>
    public const string KernelEnvironmentVariable = "COLORIZE_GEMM_KERNEL";

    // Below this many multiply-adds per thread the cost of waking a thread beats the gain.
    internal const double MinMultiplyAddsPerThread = 1 << 20;

    /// <summary>Gets the widest micro-kernel this CPU runs.</summary>
    public static GemmKernelKind BestSupportedKernel { get; } = DetectBestKernel();

    /// <summary>
    /// Gets or sets the micro-kernel used by the overloads that do not name one. Starts as
    /// <see cref="BestSupportedKernel"/> unless <see cref="KernelEnvironmentVariable"/> names a supported one.
    /// </summary>
    public static GemmKernelKind DefaultKernel
    {
        get => s_defaultKernel;
        set => s_defaultKernel = IsSupported(value)
            ? value
            : throw new PlatformNotSupportedException($"The {value} GEMM kernel needs instructions this CPU lacks.");
    }

    private static GemmKernelKind s_defaultKernel = KernelFromEnvironment() ?? BestSupportedKernel;

    /// <summary>Tells whether the CPU can run the given micro-kernel.</summary>
    public static bool IsSupported(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Scalar => true,
        GemmKernelKind.Vector128 => Vector128.IsHardwareAccelerated,
        GemmKernelKind.Vector256 => Avx2.IsSupported && Fma.IsSupported,
        GemmKernelKind.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Computes <c>C = alpha · op(A) · op(B) + beta · C</c> on row-major float32 matrices.
    /// </summary>
    /// <param name="transA">Whether op(A) = Aᵀ (A stored k×m) rather than A (stored m×k).</param>
    /// <param name="transB">Whether op(B) = Bᵀ (B stored n×k) rather than B (stored k×n).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored.</param>
    /// <param name="beta">Scale of the old C; when 0, C is write-only (NaNs in it do not propagate).</param>
    /// <param name="c">C, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads)
        => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, s_defaultKernel);

    /// <summary>As <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>, with an explicit micro-kernel.</summary>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads, GemmKernelKind kernel)
        => Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, GemmConfig.For(kernel, m, n));

    /// <summary>As the other overloads, with an explicit kernel and cache blocking (tests use tiny blocks to cross every boundary).</summary>
    public static unsafe void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads, in GemmConfig config)
    {
        ValidateShape(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Run(config, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, ResolveThreads(threads));
        }
    }

    /// <summary>
    /// Runs <paramref name="batchCount"/> independent GEMMs whose matrices sit at fixed strides:
    /// <c>C_i = alpha · op(A_i) · op(B_i) + beta · C_i</c> with <c>A_i = a[i·strideA..]</c> and so on.
    /// A stride of 0 reuses one matrix for the whole batch (only for A or B: the C matrices must not overlap).
    /// </summary>
    /// <param name="transA">Whether op(A) = Aᵀ.</param>
    /// <param name="transB">Whether op(B) = Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">The A matrices.</param>
    /// <param name="lda">Distance between rows of each A.</param>
    /// <param name="strideA">Distance between consecutive A matrices.</param>
    /// <param name="b">The B matrices.</param>
    /// <param name="ldb">Distance between rows of each B.</param>
    /// <param name="strideB">Distance between consecutive B matrices.</param>
    /// <param name="beta">Scale of the old C; when 0, C is write-only.</param>
    /// <param name="c">The C matrices.</param>
    /// <param name="ldc">Distance between rows of each C.</param>
    /// <param name="strideC">Distance between consecutive C matrices.</param>
    /// <param name="batchCount">Number of products.</param>
    /// <param name="threads">Threads to use at most; 0 or less means <see cref="Environment.ProcessorCount"/>.</param>
    public static void SgemmStridedBatched(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, int strideA, ReadOnlySpan<float> b, int ldb, int strideB,
        float beta, Span<float> c, int ldc, int strideC, int batchCount, int threads)
        => SgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batchCount, threads, s_defaultKernel);

    /// <summary>As the other <c>SgemmStridedBatched</c> overload, with an explicit micro-kernel.</summary>
    public static unsafe void SgemmStridedBatched(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, int strideA, ReadOnlySpan<float> b, int ldb, int strideB,
        float beta, Span<float> c, int ldc, int strideC, int batchCount, int threads, GemmKernelKind kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        ArgumentOutOfRangeException.ThrowIfNegative(strideC);
        if (batchCount == 0)
        {
            return;
        }

        ValidateShape(transA, transB, m, n, k, -1, lda, -1, ldb, -1, ldc);
        long last = batchCount - 1;
        long needA = m == 0 || k == 0 ? 0 : (last * strideA) + RequiredLength(transA ? k : m, transA ? m : k, lda);
        long needB = n == 0 || k == 0 ? 0 : (last * strideB) + RequiredLength(transB ? n : k, transB ? k : n, ldb);
        long needC = m == 0 || n == 0 ? 0 : (last * strideC) + RequiredLength(m, n, ldc);
        CheckLength(needA, a.Length, nameof(a));
        CheckLength(needB, b.Length, nameof(b));
        CheckLength(needC, c.Length, nameof(c));
        if (batchCount > 1 && m > 0 && n > 0 && strideC < RequiredLength(m, n, ldc))
        {
            throw new ArgumentException("The C matrices of a batch must not overlap (strideC is too small).", nameof(strideC));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        GemmConfig config = GemmConfig.For(kernel, m, n);
        int threadCount = ResolveThreads(threads);
        double work = (double)m * n * Math.Max(k, 1);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            int batchThreads = (int)Math.Min(threadCount, Math.Max(1, work * batchCount / MinMultiplyAddsPerThread));
            if (batchThreads > 1 && batchCount >= batchThreads && work < 64 * MinMultiplyAddsPerThread)
            {
                // Many small products: give each thread a contiguous run of them, each run single-threaded.
                var job = new BatchJob(config, transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batchCount, batchThreads);
                Parallel.For(0, batchThreads, new ParallelOptions { MaxDegreeOfParallelism = batchThreads }, job.Execute);
                return;
            }

            for (int i = 0; i < batchCount; i++)
            {
                Run(config, transA, transB, m, n, k, alpha, pa + ((long)i * strideA), lda, pb + ((long)i * strideB), ldb, beta, pc + ((long)i * strideC), ldc, threadCount);
            }
        }
    }

    private sealed unsafe class BatchJob(
        GemmConfig config, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, int strideA, float* b, int ldb, int strideB, float beta, float* c, int ldc, int strideC,
        int batchCount, int parts)
    {
        public void Execute(int part)
        {
            int start = (int)((long)batchCount * part / parts);
            int end = (int)((long)batchCount * (part + 1) / parts);
            for (int i = start; i < end; i++)
            {
                Run(config, transA, transB, m, n, k, alpha, a + ((long)i * strideA), lda, b + ((long)i * strideB), ldb, beta, c + ((long)i * strideC), ldc, 1);
            }
        }
    }

    internal static int ResolveThreads(int threads) => threads <= 0 ? Environment.ProcessorCount : threads;

    private static GemmKernelKind DetectBestKernel()
    {
        if (IsSupported(GemmKernelKind.Avx512))
        {
            return GemmKernelKind.Avx512;
        }

        if (IsSupported(GemmKernelKind.Vector256))
        {
            return GemmKernelKind.Vector256;
        }

        // On ARM64 AdvSimd always has FMA; on x64 a Vector128 kernel without FMA still beats scalar code.
        return AdvSimd.IsSupported || Vector128.IsHardwareAccelerated ? GemmKernelKind.Vector128 : GemmKernelKind.Scalar;
    }

    private static GemmKernelKind? KernelFromEnvironment()
        => ParseKernel(Environment.GetEnvironmentVariable(KernelEnvironmentVariable)) is { } kind && IsSupported(kind) ? kind : null;

    /// <summary>Reads a kernel name (scalar, vector128, vector256, avx512; any case); null when it names none.</summary>
    internal static GemmKernelKind? ParseKernel(string? name)
    {
        string trimmed = name?.Trim() ?? string.Empty;
        return trimmed.Length > 0 && char.IsLetter(trimmed[0]) && Enum.TryParse(trimmed, ignoreCase: true, out GemmKernelKind kind) && Enum.IsDefined(kind)
            ? kind
            : null;
    }

    private static long RequiredLength(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;

    private static void CheckLength(long needed, int actual, string name)
    {
        if (needed > actual)
        {
            throw new ArgumentException($"The span holds {actual} elements but the shape needs {needed}.", name);
        }
    }

    private static void ValidateShape(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, transA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, transB ? k : n));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
        if (aLength >= 0)
        {
            CheckLength(k == 0 ? 0 : RequiredLength(transA ? k : m, transA ? m : k, lda), aLength, "a");
            CheckLength(k == 0 ? 0 : RequiredLength(transB ? n : k, transB ? k : n, ldb), bLength, "b");
            CheckLength(RequiredLength(m, n, ldc), cLength, "c");
        }
    }

    /// <summary>Runs one product on raw pointers (shape already checked), splitting C among threads.</summary>
    internal static unsafe void Run(
        in GemmConfig config, bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
        => Run(config, transA, m, n, k, alpha, a, lda, new MatrixBPacker(transB, b, ldb), beta, c, ldc, threads);

    /// <summary>
    /// Runs one product whose op(B) is produced by <paramref name="b"/> block by block (a stored matrix, or an
    /// im2col matrix that is never stored), splitting C among threads.
    /// </summary>
    internal static unsafe void Run<TB>(
        in GemmConfig config, bool transA, int m, int n, int k,
        float alpha, float* a, int lda, TB b, float beta, float* c, int ldc, int threads)
        where TB : struct, IGemmBPacker
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        int maxThreads = (int)Math.Min(threads, Math.Max(1, (double)m * n * k / config.MinMultiplyAddsPerThread));
        if (maxThreads <= 1)
        {
            RunRectangle(config, transA, 0, m, 0, n, k, alpha, a, lda, b, beta, c, ldc);
            return;
        }

        var job = new SplitJob<TB>(config, transA, m, n, k, alpha, a, lda, b, beta, c, ldc, maxThreads);
        Parallel.For(0, job.Parts, new ParallelOptions { MaxDegreeOfParallelism = job.Parts }, job.Execute);
    }

    /// <summary>One product cut into a grid of rows × columns rectangles of whole micro-tiles.</summary>
    private sealed unsafe class SplitJob<TB>
        where TB : struct, IGemmBPacker
    {
        private readonly GemmConfig _config;
        private readonly bool _transA;
        private readonly int _m, _n, _k, _lda, _ldc, _rowParts, _colParts;
        private readonly float _alpha, _beta;
        private readonly float* _a, _c;
        private readonly TB _b;

        public SplitJob(in GemmConfig config, bool transA, int m, int n, int k, float alpha, float* a, int lda, TB b, float beta, float* c, int ldc, int threads)
        {
            _config = config;
            _transA = transA;
            _m = m;
            _n = n;
            _k = k;
            _alpha = alpha;
            _a = a;
            _lda = lda;
            _b = b;
            _beta = beta;
            _c = c;
            _ldc = ldc;
            (_rowParts, _colParts) = ChooseGrid(config, m, n, k, threads);
        }

        public int Parts => _rowParts * _colParts;

        public void Execute(int part)
        {
            int rowTiles = DivideRoundingUp(_m, _config.MR), colTiles = DivideRoundingUp(_n, _config.NR);
            int r = part / _colParts, q = part % _colParts;
            int m0 = Math.Min(_m, (int)((long)rowTiles * r / _rowParts) * _config.MR);
            int m1 = Math.Min(_m, (int)((long)rowTiles * (r + 1) / _rowParts) * _config.MR);
            int n0 = Math.Min(_n, (int)((long)colTiles * q / _colParts) * _config.NR);
            int n1 = Math.Min(_n, (int)((long)colTiles * (q + 1) / _colParts) * _config.NR);
            if (m0 < m1 && n0 < n1)
            {
                RunRectangle(_config, _transA, m0, m1, n0, n1, _k, _alpha, _a, _lda, _b, _beta, _c, _ldc);
            }
        }
    }

    /// <summary>Picks rows × columns ≤ threads minimising the slowest rectangle's compute plus packing.</summary>
    private static (int Rows, int Cols) ChooseGrid(in GemmConfig config, int m, int n, int k, int threads)
    {
        int rowTiles = DivideRoundingUp(m, config.MR), colTiles = DivideRoundingUp(n, config.NR);
        (int Rows, int Cols) best = (1, 1);
        double bestCost = double.MaxValue;
        for (int rows = 1; rows <= Math.Min(threads, rowTiles); rows++)
        {
            int cols = Math.Min(threads / rows, colTiles);
            double mc = (double)DivideRoundingUp(rowTiles, rows) * config.MR;
            double nc = (double)DivideRoundingUp(colTiles, cols) * config.NR;
            // Packing an element costs about as much as a few multiply-adds; B is repacked for every MC block.
            double cost = (mc * nc * k) + (4.0 * k * (mc + (nc * DivideRoundingUp((int)mc, config.MC))));
            if (cost < bestCost * 0.999)
            {
                (best, bestCost) = ((rows, cols), cost);
            }
        }

        return best;
    }

    private static int DivideRoundingUp(int x, int y) => (x + y - 1) / y;

    /// <summary>The size of ⌈length / max⌉ equal blocks covering length, rounded up to a multiple of tile (never above max rounded up).</summary>
    private static int EvenBlock(int length, int max, int tile)
    {
        int blocks = DivideRoundingUp(length, max);
        return DivideRoundingUp(DivideRoundingUp(length, blocks), tile) * tile;
    }

    private static unsafe void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + ((long)i * ldc), n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (beta != 1f)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    /// <summary>The sequential blocked algorithm on the rectangle [m0, m1) × [n0, n1) of C.</summary>
    private static unsafe void RunRectangle<TB>(
        in GemmConfig cfg, bool transA, int m0, int m1, int n0, int n1, int k,
        float alpha, float* a, int lda, TB b, float beta, float* c, int ldc)
        where TB : struct, IGemmBPacker
    {
        int mr = cfg.MR, nr = cfg.NR;
        int kcMax = Math.Min(cfg.KC, k);
        // Blocks of equal size (rounded to whole tiles), so no block is a thin remainder that repacks all of B.
        int mcEven = EvenBlock(m1 - m0, cfg.MC, mr), ncEven = EvenBlock(n1 - n0, cfg.NC, nr);
        nint aFloats = (nint)mcEven * kcMax;
        nint bFloats = (nint)ncEven * kcMax;
        // Each region keeps 64-byte alignment and the slack the transposing packers may spill into.
        nint aRegion = (aFloats + GemmPacking.Slack + 15) & ~15, bRegion = (bFloats + GemmPacking.Slack + 15) & ~15;
        GemmWorkspace ws = GemmWorkspace.Rent(aRegion + bRegion + (mr * nr));
        try
        {
            float* packedA = ws.Memory;
            float* packedB = packedA + aRegion;
            float* tile = packedB + bRegion;
            for (int ic = m0; ic < m1; ic += mcEven)
            {
                int mc = Math.Min(mcEven, m1 - ic);
                for (int pc = 0; pc < k; pc += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pc);
                    GemmPacking.PackA(transA, a, lda, ic, mc, pc, kc, mr, packedA);
                    // The first K block applies the caller's beta; later ones add to what the first wrote.
                    float blockBeta = pc == 0 ? beta : 1f;
                    for (int jc = n0; jc < n1; jc += ncEven)
                    {
                        int nc = Math.Min(ncEven, n1 - jc);
                        if (typeof(TB) == typeof(OffsetRowsBPacker) && cfg.RowsKernel != null)
                        {
                            // B's rows are runs in memory already: the kernel reads them where they are (same bits).
                            OffsetRowsBPacker rows = Unsafe.As<TB, OffsetRowsBPacker>(ref b);
                            RowsMacroKernel(cfg, mc, nc, kc, packedA, rows.Planes + jc, rows.Offsets + pc, c + ((long)ic * ldc) + jc, ldc, alpha, blockBeta, tile);
                            continue;
                        }

                        b.Pack(pc, kc, jc, nc, nr, packedB);
                        MacroKernel(cfg, mc, nc, kc, packedA, packedB, c + ((long)ic * ldc) + jc, ldc, alpha, blockBeta, tile);
                    }
                }
            }
        }
        finally
        {
            ws.Release();
        }
    }

    private static unsafe void MacroKernel(in GemmConfig cfg, int mc, int nc, int kc, float* packedA, float* packedB, float* c, int ldc, float alpha, float beta, float* tile)
    {
        int mr = cfg.MR, nr = cfg.NR;
        delegate*<int, float*, float*, float*, nint, float, float, void> kernel = cfg.Kernel;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* ap = packedA + ((nint)ir * kc);
            float* cRow = c + ((long)ir * ldc);
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                float* bp = packedB + ((nint)jr * kc);
                if (rows == mr && cols == nr)
                {
                    kernel(kc, ap, bp, cRow + jr, ldc, alpha, beta);
                }
                else
                {
                    // A partial tile runs the same kernel on a scratch tile, so its elements get the same bits.
                    EdgeTile(kernel, kc, ap, bp, cRow + jr, ldc, rows, cols, nr, alpha, beta, tile);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MacroKernel"/> with B read in place: column j of step p at b[offsets[p] + j]. A partial tile runs the
    /// kernel on the scratch tile like <see cref="EdgeTile"/>; its B loads then read up to NR − 1 floats past the last
    /// column, which land only in the scratch tile's dropped columns (<see cref="OffsetRowsBPacker"/> asks for that slack).
    /// </summary>
    private static unsafe void RowsMacroKernel(in GemmConfig cfg, int mc, int nc, int kc, float* packedA, float* b, int* offsets, float* c, int ldc, float alpha, float beta, float* tile)
    {
        int mr = cfg.MR, nr = cfg.NR;
        delegate*<int, float*, float*, int*, float*, nint, float, float, void> kernel = cfg.RowsKernel;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* ap = packedA + ((nint)ir * kc);
            float* cRow = c + ((long)ir * ldc);
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                if (rows == mr && cols == nr)
                {
                    kernel(kc, ap, b + jr, offsets, cRow + jr, ldc, alpha, beta);
                    continue;
                }

                if (rows <= GemmConfig.MaxSingleRows && cfg.RowsKernel1 != null)
                {
                    SingleRows(cfg.RowsKernel1, kc, ap, mr, b + jr, offsets, cRow + jr, ldc, rows, cols, nr, alpha, beta, tile);
                    continue;
                }

                if (beta != 0f)
                {
                    for (int i = 0; i < rows; i++)
                    {
                        new ReadOnlySpan<float>(cRow + jr + ((long)i * ldc), cols).CopyTo(new Span<float>(tile + (i * nr), cols));
                    }
                }

                kernel(kc, ap, b + jr, offsets, tile, nr, alpha, beta);
                for (int i = 0; i < rows; i++)
                {
                    new ReadOnlySpan<float>(tile + (i * nr), cols).CopyTo(new Span<float>(cRow + jr + ((long)i * ldc), cols));
                }
            }
        }
    }

    /// <summary>A partial row panel of the rows path, one row at a time; a partial column range goes through the scratch tile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void SingleRows(
        delegate*<int, float*, nint, float*, int*, float*, float, float, void> kernel, int kc, float* ap, int mr, float* b, int* offsets,
        float* c, int ldc, int rows, int cols, int nr, float alpha, float beta, float* tile)
    {
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + ((long)i * ldc);
            if (cols == nr)
            {
                kernel(kc, ap + i, mr, b, offsets, ci, alpha, beta);
                continue;
            }

            if (beta != 0f)
            {
                new ReadOnlySpan<float>(ci, cols).CopyTo(new Span<float>(tile, cols));
            }

            kernel(kc, ap + i, mr, b, offsets, tile, alpha, beta);
            new ReadOnlySpan<float>(tile, cols).CopyTo(new Span<float>(ci, cols));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void EdgeTile(
        delegate*<int, float*, float*, float*, nint, float, float, void> kernel, int kc, float* ap, float* bp,
        float* c, int ldc, int rows, int cols, int nr, float alpha, float beta, float* tile)
    {
        if (beta != 0f)
        {
            for (int i = 0; i < rows; i++)
            {
                new ReadOnlySpan<float>(c + ((long)i * ldc), cols).CopyTo(new Span<float>(tile + (i * nr), cols));
            }
        }

        kernel(kc, ap, bp, tile, nr, alpha, beta);
        for (int i = 0; i < rows; i++)
        {
            new ReadOnlySpan<float>(tile + (i * nr), cols).CopyTo(new Span<float>(c + ((long)i * ldc), cols));
        }
    }
}

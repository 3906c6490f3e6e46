namespace Colorize.Tensors.Kernels;

/// <summary>A micro-kernel with its tile shape and cache blocking.</summary>
internal readonly unsafe struct GemmConfig
{
    /// <summary>Rows of a micro-tile (A micro-panel height); fixed by the kernel.</summary>
    public int MR { get; private init; }

    /// <summary>Columns of a micro-tile (B micro-panel width, a multiple of the vector width); fixed by the kernel.</summary>
    public int NR { get; private init; }

    /// <summary>Depth of a K block; fixed per kernel, never per thread, so results do not depend on the thread count.</summary>
    public int KC { get; private init; }

    /// <summary>Rows of C per packed A block.</summary>
    public int MC { get; private init; }

    /// <summary>Columns of C per packed B block (KC × NC floats are meant to stay in L2).</summary>
    public int NC { get; private init; }

    /// <summary>The micro-kernel.</summary>
    public delegate*<int, float*, float*, float*, nint, float, float, void> Kernel { get; private init; }

    /// <summary>
    /// The twin of <see cref="Kernel"/> that reads B unpacked, as rows at offsets (see <see cref="GemmRowsMicroKernels"/>),
    /// or null where there is none; the driver uses it for a B given as <see cref="OffsetRowsBPacker"/>.
    /// </summary>
    public delegate*<int, float*, float*, int*, float*, nint, float, float, void> RowsKernel { get; private init; }

    /// <summary>
    /// One row of <see cref="RowsKernel"/>'s tile (A step stride, B, offsets, C row, alpha, beta), or null: the driver
    /// runs it per row on a partial row panel of at most <see cref="MaxSingleRows"/> rows instead of the whole tile.
    /// </summary>
    public delegate*<int, float*, nint, float*, int*, float*, float, float, void> RowsKernel1 { get; private init; }

    /// <summary>The most rows of a partial panel that <see cref="RowsKernel1"/> does row by row (each row costs a quarter of the 8-row tile).</summary>
    public const int MaxSingleRows = 3;

    /// <summary>Multiply-adds a thread must get before a product is split among threads.</summary>
    public double MinMultiplyAddsPerThread { get; private init; }

    // Blocking for a core with 32 KiB L1d and 1 MiB L2 (Skylake-SP/Cascade Lake, most Zen): one A micro-panel
    // (KC × MR) stays in L1 while it sweeps a KC × NC block of B held in L2. The packed A block is only streamed
    // (each micro-panel once per B block), so MC is large: B is then packed once per K block for most products.
    private static readonly GemmConfig s_avx512 = new() { MR = 14, NR = 32, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Avx51214x32, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };
    private static readonly GemmConfig s_avx512Short = new() { MR = 8, NR = 32, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Avx5128x32, RowsKernel = &GemmRowsMicroKernels.Avx5128x32, RowsKernel1 = &GemmRowsMicroKernels.Avx5121x32, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };
    private static readonly GemmConfig s_avx512Narrow = new() { MR = 28, NR = 16, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Avx51228x16, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };
    private static readonly GemmConfig s_avx2 = new() { MR = 6, NR = 16, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Avx26x16, RowsKernel = &GemmRowsMicroKernels.Avx26x16, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };
    private static readonly GemmConfig s_vector128 = new() { MR = 6, NR = 8, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Vector1286x8, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };
    private static readonly GemmConfig s_scalar = new() { MR = 4, NR = 4, KC = 256, MC = 4200, NC = 512, Kernel = &GemmMicroKernels.Scalar4x4, MinMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread };

    /// <summary>Returns a copy with other cache blocking; results change only through <paramref name="kc"/>.</summary>
    /// <param name="kc">Depth of a K block.</param>
    /// <param name="mc">Rows per A block.</param>
    /// <param name="nc">Columns per B block, rounded up to a multiple of NR.</param>
    /// <param name="minMultiplyAddsPerThread">Work a thread must get before a product is split (tests use 1 to split tiny products).</param>
    public GemmConfig WithBlocking(int kc, int mc, int nc, double minMultiplyAddsPerThread = Gemm.MinMultiplyAddsPerThread)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(kc, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(mc, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nc, 1);
        return this with { KC = kc, MC = mc, NC = (nc + NR - 1) / NR * NR, MinMultiplyAddsPerThread = Math.Max(1, minMultiplyAddsPerThread) };
    }

    /// <summary>
    /// Gets the configuration of a kernel kind for a product with <paramref name="n"/> columns. With AVX-512, products
    /// of at most 16 columns (deep convolution layers at batch 1) use a 28×16 tile instead of leaving half of a
    /// 14×32 tile empty; the choice depends on the shape only, so it never makes results depend on threads.
    /// </summary>
    /// <param name="kind">The instruction set.</param>
    /// <param name="n">Columns of the product.</param>
    public static GemmConfig For(GemmKernelKind kind, int n)
        => kind == GemmKernelKind.Avx512 && n <= 16 && Gemm.IsSupported(kind) ? s_avx512Narrow : For(kind);

    /// <summary>
    /// Gets the configuration of a kernel kind for an <paramref name="m"/>×<paramref name="n"/> product. With AVX-512,
    /// products whose rows 8-row tiles cover more tightly than 14-row ones (16 rows cost two 14-row tiles, 28 rows of
    /// work; 64 rows five, 70) use the 8×32 tile; every element gets the same operations either way, so the bits do not
    /// change, and the choice depends on the shape only.
    /// </summary>
    /// <remarks>
    /// Measured on the 2-core AVX-512 machine (one thread, GEMM alone, best of 7 × 5 runs): the 8×32 tile is as fast
    /// per multiply-add as the 14×32 one at every size tried, so its tighter cover is a gain: 64×4096×576 (a 64-channel
    /// 3×3 layer) 4.28 → 3.89 ms, 33×16384×297 6.00 → 5.77, 128×1024×1152 3.51 → 3.17, 256×1024×2304 12.5 → 11.8,
    /// 512×64×9216 7.08 → 6.85, 1024×64×4608 6.82 → 6.87 (same cover). It used to be limited to 32 rows.
    /// </remarks>
    /// <param name="kind">The instruction set.</param>
    /// <param name="m">Rows of the product.</param>
    /// <param name="n">Columns of the product.</param>
    public static GemmConfig For(GemmKernelKind kind, int m, int n)
        => kind == GemmKernelKind.Avx512 && n > 16 && RoundUp(m, 8) < RoundUp(m, 14) && Gemm.IsSupported(kind) ? s_avx512Short : For(kind, n);

    private static int RoundUp(int x, int tile) => (x + tile - 1) / tile * tile;

    /// <summary>Gets the main configuration of a kernel kind, checking the CPU can run it.</summary>
    public static GemmConfig For(GemmKernelKind kind)
    {
        if (!Gemm.IsSupported(kind))
        {
            throw new PlatformNotSupportedException($"The {kind} GEMM kernel needs instructions this CPU lacks.");
        }

        return kind switch
        {
            GemmKernelKind.Avx512 => s_avx512,
            GemmKernelKind.Vector256 => s_avx2,
            GemmKernelKind.Vector128 => s_vector128,
            _ => s_scalar,
        };
    }
}

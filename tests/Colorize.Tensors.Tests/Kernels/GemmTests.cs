using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

public sealed class GemmTests
{
    // Every micro-kernel this machine can run; CI runs on AVX-512 hardware, so all four are exercised there.
    // Kernel kinds travel as names: the enum is internal and xunit theories are public.
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (GemmKernelKind kind in SupportedKernels)
        {
            data.Add(kind.ToString());
        }

        return data;
    }

    internal static GemmKernelKind[] SupportedKernels => Enum.GetValues<GemmKernelKind>().Where(Gemm.IsSupported).ToArray();

    public static TheoryData<string, int, int, int> KernelsAndShapes()
    {
        // Tiny, odd, not multiples of any tile (MR = 4/6/14, NR = 4/8/16/32), and K beyond one KC block (256).
        int[][] shapes =
        [
            [1, 1, 1], [1, 7, 3], [5, 1, 9], [2, 3, 1], [13, 17, 19], [14, 32, 8], [15, 33, 31],
            [29, 65, 257], [6, 16, 513], [47, 5, 300], [3, 70, 2], [100, 37, 64],
        ];
        var data = new TheoryData<string, int, int, int>();
        foreach (GemmKernelKind kind in SupportedKernels)
        {
            foreach (int[] s in shapes)
            {
                data.Add(kind.ToString(), s[0], s[1], s[2]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndShapes))]
    public void Sgemm_AllTransposeCombinations_MatchDoubleReference(string kernel, int m, int n, int k)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                CheckAgainstReference(kind, transA, transB, m, n, k, alpha: 1f, beta: 0f, padA: 0, padB: 0, padC: 0, threads: 1, seed: m + (7 * n) + (31 * k));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_AlphaBetaAndLeadingDimensionsLargerThanRows_MatchDoubleReference(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        (float Alpha, float Beta)[] scalars = [(0.5f, 1f), (-1.5f, 0.25f), (2f, -1f), (1f, 1f)];
        int seed = 0;
        foreach ((float alpha, float beta) in scalars)
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    CheckAgainstReference(kind, transA, transB, 23, 41, 37, alpha, beta, padA: 3, padB: 5, padC: 7, threads: 1, seed: ++seed);
                    CheckAgainstReference(kind, transA, transB, 50, 70, 300, alpha, beta, padA: 1, padB: 0, padC: 2, threads: 2, seed: ++seed);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_LargeEnoughToSplitAcrossThreadsAndBlocks_MatchDoubleReference(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        // The real blocking: K crosses two KC blocks (256) and N one NC block (512).
        CheckAgainstReference(kind, false, false, 60, 530, 300, 1f, 0.5f, 0, 0, 0, threads: 2, seed: 5);
        CheckAgainstReference(kind, true, true, 40, 100, 520, 1f, 0f, 0, 0, 0, threads: 3, seed: 6);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_TinyCacheBlocks_MatchDoubleReference_AndThreadsStillDoNotChangeTheBits(string kernel)
    {
        // Blocks far smaller than real ones put every A, B and K block boundary inside small matrices.
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        // The main configuration and the one for products of at most 16 columns (a different tile with AVX-512).
        CheckTinyBlocking(kind, GemmConfig.For(kind));
        CheckTinyBlocking(kind, GemmConfig.For(kind, 16));
    }

    private static void CheckTinyBlocking(GemmKernelKind kind, GemmConfig baseConfig)
    {
        GemmConfig tiny = baseConfig.WithBlocking(kc: 11, mc: baseConfig.MR + 3, nc: baseConfig.NR + 1, minMultiplyAddsPerThread: 1);
        foreach ((int m, int n, int k) in new[] { (31, 77, 23), (2 * baseConfig.MR, 3 * baseConfig.NR, 10), (1, 40, 6), (60, 13, 30) })
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    int lda = transA ? m : k, ldb = transB ? k : n;
                    float[] a = RandomArray(m * k, m), b = RandomArray(k * n, n), c0 = RandomArray(m * n, k);
                    (double[] expected, double[] magnitude) = ReferenceAndMagnitude(transA, transB, m, n, k, 1.25f, a, lda, b, ldb, -0.5f, c0, n);
                    float[]? first = null;
                    foreach (int threads in new[] { 1, 2, 3 })
                    {
                        float[] c = (float[])c0.Clone();
                        Gemm.Sgemm(transA, transB, m, n, k, 1.25f, a, lda, b, ldb, -0.5f, c, n, threads, tiny);
                        for (int i = 0; i < c.Length; i++)
                        {
                            Assert.True(Math.Abs(c[i] - expected[i]) <= (k + 4) * 1.2e-7 * magnitude[i], $"{kind} {m}x{n}x{k} tA={transA} tB={transB} at {i}");
                        }

                        first ??= c;
                        Assert.Equal(first, c);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_BetaZero_IgnoresNaNAndInfinityInC(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        const int m = 19, n = 37, k = 11;
        float[] a = RandomArray(m * k, 1), b = RandomArray(k * n, 2);
        float[] c = new float[m * n];
        Array.Fill(c, float.NaN);
        c[3] = float.PositiveInfinity;
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, 1, kind);
        Assert.All(c, x => Assert.True(float.IsFinite(x)));

        // With alpha = 0 and beta = 0 the product is not even computed, and C still becomes exactly zero.
        Array.Fill(c, float.NaN);
        Gemm.Sgemm(false, false, m, n, k, 0f, a, k, b, n, 0f, c, n, 1, kind);
        Assert.All(c, x => Assert.Equal(0f, x));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_BetaNonZero_PropagatesNaNInC(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        const int m = 15, n = 33, k = 4;
        float[] a = RandomArray(m * k, 1), b = RandomArray(k * n, 2);
        float[] c = new float[m * n];
        c[0] = float.NaN;
        c[(m * n) - 1] = float.NaN;
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 1f, c, n, 1, kind);
        Assert.True(float.IsNaN(c[0]));
        Assert.True(float.IsNaN(c[(m * n) - 1]));
        Assert.Equal(2, c.Count(float.IsNaN));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_KZero_ScalesCByBeta(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        Gemm.Sgemm(false, false, 2, 3, 0, 1f, [], 1, [], 3, 0.5f, c, 3, 1, kind);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f], c);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Sgemm_ThreadCount_DoesNotChangeTheBits(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        // Shapes big enough that 2 and 3 threads really split the work, along M, along N, and both.
        int[][] shapes = [[130, 150, 270], [40, 600, 100], [300, 40, 100], [600, 16, 300]];
        foreach (int[] s in shapes)
        {
            int m = s[0], n = s[1], k = s[2];
            float[] a = RandomArray(m * k, 10), b = RandomArray(k * n, 11), c0 = RandomArray(m * n, 12);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 4, 0 })
            {
                float[] c = (float[])c0.Clone();
                Gemm.Sgemm(false, true, m, n, k, 0.75f, a, k, b, k, 0.5f, c, n, threads, kind);
                if (first is null)
                {
                    first = c;
                }
                else
                {
                    Assert.Equal(first, c);
                }
            }
        }
    }

    [Fact]
    public void Sgemm_ShortAvx512Tile_HasTheBitsOfTheMainTile()
    {
        if (!Gemm.IsSupported(GemmKernelKind.Avx512))
        {
            return;
        }

        // 16, 30, 33 and 64 rows pick the 8×32 tile; it must give each element exactly what the 14×32 tile gives
        // (beta 0 and 1, several K blocks, edge tiles, two threads).
        foreach (int m in new[] { 16, 30, 33, 64 })
        {
            const int n = 83, k = 600;
            GemmConfig shortTile = GemmConfig.For(GemmKernelKind.Avx512, m, n), mainTile = GemmConfig.For(GemmKernelKind.Avx512);
            Assert.Equal(8, shortTile.MR);
            float[] a = RandomArray(m * k, 5), b = RandomArray(k * n, 6), c0 = RandomArray(m * n, 7);
            foreach (float beta in new[] { 0f, 1f })
            {
                float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, beta, expected, n, 2, mainTile);
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, beta, actual, n, 2, shortTile);
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Sgemm_AllSupportedKernels_AgreeClosely()
    {
        const int m = 61, n = 75, k = 333;
        float[] a = RandomArray(m * k, 3), b = RandomArray(k * n, 4);
        float[] expected = new float[m * n];
        Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n, 1, GemmKernelKind.Scalar);
        foreach (GemmKernelKind kind in Enum.GetValues<GemmKernelKind>().Where(Gemm.IsSupported))
        {
            float[] c = new float[m * n];
            Gemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, 1, kind);
            for (int i = 0; i < c.Length; i++)
            {
                Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{kind} at {i}: {c[i]} vs {expected[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SgemmStridedBatched_MatchesReferencePerBatch_IncludingSharedA(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        const int m = 9, n = 21, k = 17, batch = 5;
        foreach (bool sharedA in new[] { false, true })
        {
            int strideA = sharedA ? 0 : (m * k) + 3, strideB = (k * n) + 1, strideC = (m * n) + 2;
            float[] a = RandomArray(sharedA ? m * k : strideA * batch, 20);
            float[] b = RandomArray(strideB * batch, 21);
            float[] c = RandomArray(strideC * batch, 22);
            float[] original = (float[])c.Clone();
            Gemm.SgemmStridedBatched(false, false, m, n, k, 1.5f, a, k, strideA, b, n, strideB, 0.5f, c, n, strideC, batch, 2, kind);
            for (int t = 0; t < batch; t++)
            {
                double[] expected = Reference(false, false, m, n, k, 1.5f, a.AsSpan(t * strideA), k, b.AsSpan(t * strideB), n, 0.5f, original.AsSpan(t * strideC), n);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        Assert.Equal(expected[(i * n) + j], c[(t * strideC) + (i * n) + j], 1e-4);
                    }
                }
            }

            // The gaps between the C matrices are left alone.
            for (int t = 0; t < batch; t++)
            {
                Assert.Equal(original[(t * strideC) + (m * n)], c[(t * strideC) + (m * n)]);
            }
        }
    }

    [Fact]
    public void SgemmStridedBatched_ThreadCount_DoesNotChangeTheBits()
    {
        const int m = 64, n = 100, k = 80, batch = 7;
        float[] a = RandomArray(m * k * batch, 1), b = RandomArray(k * n * batch, 2);
        float[] c1 = new float[m * n * batch], c2 = new float[m * n * batch], c3 = new float[m * n * batch];
        Gemm.SgemmStridedBatched(true, false, m, n, k, 1f, a, m, m * k, b, n, k * n, 0f, c1, n, m * n, batch, 1);
        Gemm.SgemmStridedBatched(true, false, m, n, k, 1f, a, m, m * k, b, n, k * n, 0f, c2, n, m * n, batch, 2);
        Gemm.SgemmStridedBatched(true, false, m, n, k, 1f, a, m, m * k, b, n, k * n, 0f, c3, n, m * n, batch, 3);
        Assert.Equal(c1, c2);
        Assert.Equal(c1, c3);
    }

    [Fact]
    public void Sgemm_BadArguments_ThrowTypedExceptions()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2, 1));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a.AsSpan(1), 3, b, 2, 0f, c, 2, 1));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(1), 2, 1));
        Assert.Throws<ArgumentException>(() => Gemm.SgemmStridedBatched(false, false, 2, 2, 3, 1f, a, 3, 0, b, 2, 0, 0f, new float[8], 2, 2, 2, 1));
    }

    [Fact]
    public void KernelNames_ParseCaseInsensitively_AndUnknownNamesAreIgnored()
    {
        Assert.Equal(GemmKernelKind.Scalar, Gemm.ParseKernel("SCALAR"));
        Assert.Equal(GemmKernelKind.Vector128, Gemm.ParseKernel("vector128"));
        Assert.Equal(GemmKernelKind.Avx512, Gemm.ParseKernel(" Avx512 "));
        Assert.Null(Gemm.ParseKernel("fastest"));
        Assert.Null(Gemm.ParseKernel(null));
        Assert.Null(Gemm.ParseKernel("7"));
    }

    internal static float[] RandomArray(int length, int seed)
    {
        var rng = new Random(seed);
        float[] x = new float[length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return x;
    }

    private static void CheckAgainstReference(GemmKernelKind kind, bool transA, bool transB, int m, int n, int k, float alpha, float beta, int padA, int padB, int padC, int threads, int seed)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        float[] a = RandomArray(Math.Max(1, (transA ? k : m) * lda), seed);
        float[] b = RandomArray(Math.Max(1, (transB ? n : k) * ldb), seed + 1000);
        float[] c = RandomArray(m * ldc, seed + 2000);
        (double[] expected, double[] magnitude) = ReferenceAndMagnitude(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        float[] padding = c.Where((_, i) => i % ldc >= n).ToArray();
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, kind);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // float32 summation error is bounded by about k·ε·Σ|terms|; allow a little more for the scaling.
                double tolerance = (k + 4) * 1.2e-7 * magnitude[(i * n) + j];
                double actual = c[(i * ldc) + j];
                Assert.True(Math.Abs(actual - expected[(i * n) + j]) <= tolerance,
                    $"{kind} tA={transA} tB={transB} {m}x{n}x{k} C[{i},{j}] = {actual}, expected {expected[(i * n) + j]} ± {tolerance}");
            }
        }

        Assert.Equal(padding, c.Where((_, i) => i % ldc >= n).ToArray());
    }

    private static double[] Reference(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, ReadOnlySpan<float> c, int ldc)
        => ReferenceAndMagnitude(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).Value;

    /// <summary>The product in double precision, and Σ|terms| per element (the scale of float32 rounding error).</summary>
    private static (double[] Value, double[] Magnitude) ReferenceAndMagnitude(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, ReadOnlySpan<float> c, int ldc)
    {
        // op(A) row by row and op(B) column by column, so the inner loop walks two plain arrays.
        double[] rowsA = new double[m * k], colsB = new double[n * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                rowsA[(i * k) + p] = transA ? a[(p * lda) + i] : a[(i * lda) + p];
            }
        }

        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                colsB[(j * k) + p] = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
            }
        }

        double[] value = new double[m * n], magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = rowsA[(i * k) + p] * colsB[(j * k) + p];
                    sum += term;
                    abs += Math.Abs(term);
                }

                double old = beta == 0f ? 0 : beta * (double)c[(i * ldc) + j];
                value[(i * n) + j] = (alpha * sum) + old;
                magnitude[(i * n) + j] = (Math.Abs(alpha) * abs) + Math.Abs(old) + 1e-30;
            }
        }

        return (value, magnitude);
    }
}

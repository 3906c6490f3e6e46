using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The GEMM with B given as rows at offsets (<see cref="OffsetRowsBPacker"/>, the phase-plane convolution's B): the
/// kernels that read the rows in place (<see cref="GemmConfig.RowsKernel"/>) must give the bits of the packed path at
/// any thread count and blocking, and the floats they read past the last column must not reach the result.
/// </summary>
public sealed class GemmRowsTests
{
    /// <summary>A packer the driver does not know, so it always packs: the reference path.</summary>
    private readonly unsafe struct PackedOnly(OffsetRowsBPacker rows) : IGemmBPacker
    {
        public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst) => rows.Pack(p0, kc, j0, nc, nr, dst);
    }

    [Fact]
    public void RowsKernels_ExistForTheAvx512ShortTileAndAvx2()
    {
        unsafe
        {
            if (Gemm.IsSupported(GemmKernelKind.Avx512))
            {
                Assert.True(GemmConfig.For(GemmKernelKind.Avx512, 64, 100).RowsKernel != null);
                Assert.True(GemmConfig.For(GemmKernelKind.Avx512, 33, 100).RowsKernel1 != null);
                Assert.True(GemmConfig.For(GemmKernelKind.Avx512, 70, 100).RowsKernel == null);   // 14×32: packed
            }

            if (Gemm.IsSupported(GemmKernelKind.Vector256))
            {
                Assert.True(GemmConfig.For(GemmKernelKind.Vector256).RowsKernel != null);
            }

            Assert.True(GemmConfig.For(GemmKernelKind.Scalar).RowsKernel == null);
        }
    }

    [Theory]
    [MemberData(nameof(GemmTests.Kernels), MemberType = typeof(GemmTests))]
    public void RowsB_GivesThePackedBits_AtAnyThreadCountAndBlocking(string kernel)
    {
        GemmKernelKind kind = Enum.Parse<GemmKernelKind>(kernel);
        // Rows not a multiple of any MR, columns past a tile and not a multiple of NR, K across KC blocks (256).
        // 33, 2, 19 and 1 rows leave 1–3 rows of an 8-row tile (done row by row with AVX-512), 21 leaves 5 (a whole tile).
        (int M, int N, int K)[] shapes =
            [(16, 70, 300), (13, 33, 19), (40, 95, 577), (24, 5, 9), (1, 40, 6), (64, 32, 64), (33, 70, 300), (2, 64, 7), (19, 45, 260), (21, 33, 20)];
        foreach ((int m, int n, int k) in shapes)
        {
            GemmConfig real = GemmConfig.For(kind, m, n);
            GemmConfig tiny = real.WithBlocking(kc: 11, mc: real.MR + 3, nc: real.NR + 1, minMultiplyAddsPerThread: 1);
            foreach (GemmConfig config in new[] { real, tiny })
            {
                foreach (float beta in new[] { 0f, -0.5f })
                {
                    Check(config, m, n, k, beta, seed: m + (3 * n) + (7 * k));
                }
            }
        }
    }

    private static unsafe void Check(GemmConfig config, int m, int n, int k, float beta, int seed)
    {
        // Runs of n floats at scattered, overlapping offsets (as the phase planes' taps are), then the slack, NaN.
        var rng = new Random(seed);
        int[] offsets = new int[k];
        for (int p = 0; p < k; p++)
        {
            offsets[p] = rng.Next(0, 3 * n);
        }

        int runsEnd = (3 * n) + n;
        float[] planes = GemmTests.RandomArray(runsEnd + OffsetRowsBPacker.Slack, seed + 1);
        planes.AsSpan(runsEnd).Fill(float.NaN);
        int ldc = n + 3;
        float[] a = GemmTests.RandomArray(m * k, seed + 2), c0 = GemmTests.RandomArray(m * ldc, seed + 3);
        float[] expected = (float[])c0.Clone();
        fixed (float* pa = a)
        fixed (float* pp = planes)
        fixed (int* po = offsets)
        {
            var rows = new OffsetRowsBPacker(pp, po);
            fixed (float* pe = expected)
            {
                Gemm.Run(config, false, m, n, k, 1.25f, pa, k, new PackedOnly(rows), beta, pe, ldc, 1);
            }

            foreach (int threads in new[] { 1, 2, 3 })
            {
                float[] actual = (float[])c0.Clone();
                fixed (float* pc = actual)
                {
                    Gemm.Run(config, false, m, n, k, 1.25f, pa, k, rows, beta, pc, ldc, threads);
                }

                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{config.MR}×{config.NR} kc {config.KC} {m}×{n}×{k} beta {beta} threads {threads}");
            }
        }

        Assert.DoesNotContain(expected, float.IsNaN);
    }
}

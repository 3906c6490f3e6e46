using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

// Micro-kernels that read B unpacked, as rows given by offsets: step p of the tile reads its NR B values from
// b + offsets[p] (unaligned, contiguous), A comes packed as for the packed kernels. The phase-plane convolution's
// im2col rows are such runs (OffsetRowsBPacker), so its GEMM needs no B packing, which cost 5–20 % of the forward
// pass on one core (it copied 9 × the input per layer through L2). Each kernel does, element for element, the same
// operations in the same order as its packed twin in GemmMicroKernels, so the results have the same bits.
internal static class GemmRowsMicroKernels
{
    /// <summary>The rows-B twin of <see cref="GemmMicroKernels.Avx5128x32"/>: an 8×32 tile in 16 zmm accumulators.</summary>
    [SkipLocalsInit]
    internal static unsafe void Avx5128x32(int kc, float* a, float* b, int* offsets, float* c, nint ldc, float alpha, float beta)
    {
        // Ask for the C tile now so its lines arrive while the FMAs run, not as a stall in the epilogue.
        for (int r = 0; r < 8; r++)
        {
            Sse.Prefetch0(c + (r * ldc));
            Sse.Prefetch0(c + (r * ldc) + 16);
            Sse.Prefetch0(c + (r * ldc) + 31);
        }

        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = b + offsets[p];
            // The next tile to the right reads this row's next 32 floats: ask for their lines now, a whole tile ahead
            // (the rows are scattered over the planes, so the hardware prefetcher does not see them as streams).
            Sse.Prefetch0(row + 32);
            Sse.Prefetch0(row + 48);
            Sse.Prefetch0(row + 63);
            Vector512<float> b0 = Vector512.Load(row);
            Vector512<float> b1 = Vector512.Load(row + 16);
            c00 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b1, c01);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b1, c11);
            c20 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b1, c21);
            c30 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b1, c31);
            c40 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b1, c41);
            c50 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b1, c51);
            c60 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b1, c61);
            c70 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b1, c71);
            a += 8;
        }

        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (beta == 0f)
        {
            Vector512.Store(va * c00, c + (0 * ldc)); Vector512.Store(va * c01, c + (0 * ldc) + 16);
            Vector512.Store(va * c10, c + (1 * ldc)); Vector512.Store(va * c11, c + (1 * ldc) + 16);
            Vector512.Store(va * c20, c + (2 * ldc)); Vector512.Store(va * c21, c + (2 * ldc) + 16);
            Vector512.Store(va * c30, c + (3 * ldc)); Vector512.Store(va * c31, c + (3 * ldc) + 16);
            Vector512.Store(va * c40, c + (4 * ldc)); Vector512.Store(va * c41, c + (4 * ldc) + 16);
            Vector512.Store(va * c50, c + (5 * ldc)); Vector512.Store(va * c51, c + (5 * ldc) + 16);
            Vector512.Store(va * c60, c + (6 * ldc)); Vector512.Store(va * c61, c + (6 * ldc) + 16);
            Vector512.Store(va * c70, c + (7 * ldc)); Vector512.Store(va * c71, c + (7 * ldc) + 16);
        }
        else
        {
            Store512(c + (0 * ldc), c00, c01, va, vb);
            Store512(c + (1 * ldc), c10, c11, va, vb);
            Store512(c + (2 * ldc), c20, c21, va, vb);
            Store512(c + (3 * ldc), c30, c31, va, vb);
            Store512(c + (4 * ldc), c40, c41, va, vb);
            Store512(c + (5 * ldc), c50, c51, va, vb);
            Store512(c + (6 * ldc), c60, c61, va, vb);
            Store512(c + (7 * ldc), c70, c71, va, vb);
        }
    }

    /// <summary>
    /// One row of the 8×32 tile: the row <paramref name="a"/> points at in a packed A panel whose steps are
    /// <paramref name="aStride"/> apart. The driver runs it once per row for a panel of at most
    /// <see cref="GemmConfig.MaxSingleRows"/> rows (33 output channels: 8-row tiles leave one), where the full tile
    /// would do eight rows' FMAs: its two accumulator chains take 4 cycles a step (the FMA latency) against 16.
    /// Each element gets the same operations as in <see cref="Avx5128x32"/>, so the bits are the same.
    /// </summary>
    [SkipLocalsInit]
    internal static unsafe void Avx5121x32(int kc, float* a, nint aStride, float* b, int* offsets, float* c, float alpha, float beta)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = b + offsets[p];
            Vector512<float> x = Vector512.Create(*a);
            c0 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(row), c0);
            c1 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(row + 16), c1);
            a += aStride;
        }

        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (beta == 0f)
        {
            Vector512.Store(va * c0, c);
            Vector512.Store(va * c1, c + 16);
        }
        else
        {
            Store512(c, c0, c1, va, vb);
        }
    }

    /// <summary>The rows-B twin of <see cref="GemmMicroKernels.Avx26x16"/>: a 6×16 tile in 12 ymm accumulators.</summary>
    [SkipLocalsInit]
    internal static unsafe void Avx26x16(int kc, float* a, float* b, int* offsets, float* c, nint ldc, float alpha, float beta)
    {
        for (int r = 0; r < 6; r++)
        {
            Sse.Prefetch0(c + (r * ldc));
            Sse.Prefetch0(c + (r * ldc) + 15);
        }

        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            float* row = b + offsets[p];
            // The next tile's 16 floats of this row, a tile ahead, as in the AVX-512 kernel.
            Sse.Prefetch0(row + 16);
            Sse.Prefetch0(row + 31);
            Vector256<float> b0 = Vector256.Load(row);
            Vector256<float> b1 = Vector256.Load(row + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
            a += 6;
        }

        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        if (beta == 0f)
        {
            Vector256.Store(va * c00, c + (0 * ldc)); Vector256.Store(va * c01, c + (0 * ldc) + 8);
            Vector256.Store(va * c10, c + (1 * ldc)); Vector256.Store(va * c11, c + (1 * ldc) + 8);
            Vector256.Store(va * c20, c + (2 * ldc)); Vector256.Store(va * c21, c + (2 * ldc) + 8);
            Vector256.Store(va * c30, c + (3 * ldc)); Vector256.Store(va * c31, c + (3 * ldc) + 8);
            Vector256.Store(va * c40, c + (4 * ldc)); Vector256.Store(va * c41, c + (4 * ldc) + 8);
            Vector256.Store(va * c50, c + (5 * ldc)); Vector256.Store(va * c51, c + (5 * ldc) + 8);
        }
        else
        {
            Store256(c + (0 * ldc), c00, c01, va, vb);
            Store256(c + (1 * ldc), c10, c11, va, vb);
            Store256(c + (2 * ldc), c20, c21, va, vb);
            Store256(c + (3 * ldc), c30, c31, va, vb);
            Store256(c + (4 * ldc), c40, c41, va, vb);
            Store256(c + (5 * ldc), c50, c51, va, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512(float* c, Vector512<float> acc0, Vector512<float> acc1, Vector512<float> alpha, Vector512<float> beta)
    {
        Vector512.Store((alpha * acc0) + (beta * Vector512.Load(c)), c);
        Vector512.Store((alpha * acc1) + (beta * Vector512.Load(c + 16)), c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(float* c, Vector256<float> acc0, Vector256<float> acc1, Vector256<float> alpha, Vector256<float> beta)
    {
        Vector256.Store((alpha * acc0) + (beta * Vector256.Load(c)), c);
        Vector256.Store((alpha * acc1) + (beta * Vector256.Load(c + 8)), c + 8);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

// The register-blocked inner kernels of the GEMM. Each one computes an MR×NR tile of C from a packed A
// micro-panel (kc steps of MR values) and a packed B micro-panel (kc steps of NR values, 64-byte aligned):
//     acc = Σ_p a[p·MR + i] · b[p·NR + j]      (summed in increasing p, one FMA per step)
//     C[i, j] = alpha · acc + beta · C[i, j]    (C is not read when beta == 0, so NaNs there vanish as in BLAS)
// Every element follows the same sequence of operations whatever tile, block or thread it falls in, which
// is what makes the GEMM's bits independent of the thread count. The accumulators are spelled out one by
// one because the JIT keeps plain locals in registers but spills arrays and structs.
internal static class GemmMicroKernels
{
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store128(float* c, Vector128<float> acc0, Vector128<float> acc1, Vector128<float> alpha, Vector128<float> beta)
    {
        Vector128.Store((alpha * acc0) + (beta * Vector128.Load(c)), c);
        Vector128.Store((alpha * acc1) + (beta * Vector128.Load(c + 4)), c + 4);
    }

    /// <summary>The AVX-512 micro-kernel: a 14×32 tile held in 28 zmm accumulators; A is broadcast straight from memory (EVEX embedded broadcast).</summary>
    [SkipLocalsInit]
    internal static unsafe void Avx51214x32(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        // Ask for the C tile now so its lines arrive while the FMAs run, not as a stall in the epilogue.
        for (int r = 0; r < 14; r++)
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
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        Vector512<float> c120 = default, c121 = default;
        Vector512<float> c130 = default, c131 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadAlignedVector512(b);
            Vector512<float> b1 = Avx512F.LoadAlignedVector512(b + 16);
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
            c80 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b1, c81);
            c90 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b1, c91);
            c100 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c100);
            c101 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b1, c101);
            c110 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c110);
            c111 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b1, c111);
            c120 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[12]), b0, c120);
            c121 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[12]), b1, c121);
            c130 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[13]), b0, c130);
            c131 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[13]), b1, c131);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (beta == 0f)
        {
            Vector512.Store(va * c00, c + 0 * ldc); Vector512.Store(va * c01, c + 0 * ldc + 16);
            Vector512.Store(va * c10, c + 1 * ldc); Vector512.Store(va * c11, c + 1 * ldc + 16);
            Vector512.Store(va * c20, c + 2 * ldc); Vector512.Store(va * c21, c + 2 * ldc + 16);
            Vector512.Store(va * c30, c + 3 * ldc); Vector512.Store(va * c31, c + 3 * ldc + 16);
            Vector512.Store(va * c40, c + 4 * ldc); Vector512.Store(va * c41, c + 4 * ldc + 16);
            Vector512.Store(va * c50, c + 5 * ldc); Vector512.Store(va * c51, c + 5 * ldc + 16);
            Vector512.Store(va * c60, c + 6 * ldc); Vector512.Store(va * c61, c + 6 * ldc + 16);
            Vector512.Store(va * c70, c + 7 * ldc); Vector512.Store(va * c71, c + 7 * ldc + 16);
            Vector512.Store(va * c80, c + 8 * ldc); Vector512.Store(va * c81, c + 8 * ldc + 16);
            Vector512.Store(va * c90, c + 9 * ldc); Vector512.Store(va * c91, c + 9 * ldc + 16);
            Vector512.Store(va * c100, c + 10 * ldc); Vector512.Store(va * c101, c + 10 * ldc + 16);
            Vector512.Store(va * c110, c + 11 * ldc); Vector512.Store(va * c111, c + 11 * ldc + 16);
            Vector512.Store(va * c120, c + 12 * ldc); Vector512.Store(va * c121, c + 12 * ldc + 16);
            Vector512.Store(va * c130, c + 13 * ldc); Vector512.Store(va * c131, c + 13 * ldc + 16);
        }
        else
        {
            Store512(c + 0 * ldc, c00, c01, va, vb);
            Store512(c + 1 * ldc, c10, c11, va, vb);
            Store512(c + 2 * ldc, c20, c21, va, vb);
            Store512(c + 3 * ldc, c30, c31, va, vb);
            Store512(c + 4 * ldc, c40, c41, va, vb);
            Store512(c + 5 * ldc, c50, c51, va, vb);
            Store512(c + 6 * ldc, c60, c61, va, vb);
            Store512(c + 7 * ldc, c70, c71, va, vb);
            Store512(c + 8 * ldc, c80, c81, va, vb);
            Store512(c + 9 * ldc, c90, c91, va, vb);
            Store512(c + 10 * ldc, c100, c101, va, vb);
            Store512(c + 11 * ldc, c110, c111, va, vb);
            Store512(c + 12 * ldc, c120, c121, va, vb);
            Store512(c + 13 * ldc, c130, c131, va, vb);
        }
    }

    /// <summary>
    /// The short AVX-512 micro-kernel for products whose rows it covers more tightly than the 14-row tile (16, 32, 64,
    /// 128-channel convolutions, see <see cref="GemmConfig.For(GemmKernelKind, int, int)"/>): an 8×32 tile in 16 zmm
    /// accumulators, so a 16-row product is two full tiles instead of a 14-row tile and a 2-row edge tile.
    /// Every element gets the same operations as in <see cref="Avx51214x32"/>, so the bits are the same.
    /// </summary>
    [SkipLocalsInit]
    internal static unsafe void Avx5128x32(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
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
            Vector512<float> b0 = Avx512F.LoadAlignedVector512(b);
            Vector512<float> b1 = Avx512F.LoadAlignedVector512(b + 16);
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
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (beta == 0f)
        {
            Vector512.Store(va * c00, c + 0 * ldc); Vector512.Store(va * c01, c + 0 * ldc + 16);
            Vector512.Store(va * c10, c + 1 * ldc); Vector512.Store(va * c11, c + 1 * ldc + 16);
            Vector512.Store(va * c20, c + 2 * ldc); Vector512.Store(va * c21, c + 2 * ldc + 16);
            Vector512.Store(va * c30, c + 3 * ldc); Vector512.Store(va * c31, c + 3 * ldc + 16);
            Vector512.Store(va * c40, c + 4 * ldc); Vector512.Store(va * c41, c + 4 * ldc + 16);
            Vector512.Store(va * c50, c + 5 * ldc); Vector512.Store(va * c51, c + 5 * ldc + 16);
            Vector512.Store(va * c60, c + 6 * ldc); Vector512.Store(va * c61, c + 6 * ldc + 16);
            Vector512.Store(va * c70, c + 7 * ldc); Vector512.Store(va * c71, c + 7 * ldc + 16);
        }
        else
        {
            Store512(c + 0 * ldc, c00, c01, va, vb);
            Store512(c + 1 * ldc, c10, c11, va, vb);
            Store512(c + 2 * ldc, c20, c21, va, vb);
            Store512(c + 3 * ldc, c30, c31, va, vb);
            Store512(c + 4 * ldc, c40, c41, va, vb);
            Store512(c + 5 * ldc, c50, c51, va, vb);
            Store512(c + 6 * ldc, c60, c61, va, vb);
            Store512(c + 7 * ldc, c70, c71, va, vb);
        }
    }

    /// <summary>The narrow AVX-512 micro-kernel for products with at most 16 columns: a 28×16 tile in 28 zmm accumulators.</summary>
    [SkipLocalsInit]
    internal static unsafe void Avx51228x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        for (int r = 0; r < 28; r++)
        {
            Sse.Prefetch0(c + (r * ldc));
            Sse.Prefetch0(c + (r * ldc) + 15);
        }

        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default;
        Vector512<float> c12 = default, c13 = default, c14 = default, c15 = default;
        Vector512<float> c16 = default, c17 = default, c18 = default, c19 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c24 = default, c25 = default, c26 = default, c27 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadAlignedVector512(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11);
            c12 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[12]), b0, c12);
            c13 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[13]), b0, c13);
            c14 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[14]), b0, c14);
            c15 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[15]), b0, c15);
            c16 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[16]), b0, c16);
            c17 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[17]), b0, c17);
            c18 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[18]), b0, c18);
            c19 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[19]), b0, c19);
            c20 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[20]), b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[21]), b0, c21);
            c22 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[22]), b0, c22);
            c23 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[23]), b0, c23);
            c24 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[24]), b0, c24);
            c25 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[25]), b0, c25);
            c26 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[26]), b0, c26);
            c27 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[27]), b0, c27);
            a += 28;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        if (beta == 0f)
        {
            Vector512.Store(va * c0, c + (0 * ldc));
            Vector512.Store(va * c1, c + (1 * ldc));
            Vector512.Store(va * c2, c + (2 * ldc));
            Vector512.Store(va * c3, c + (3 * ldc));
            Vector512.Store(va * c4, c + (4 * ldc));
            Vector512.Store(va * c5, c + (5 * ldc));
            Vector512.Store(va * c6, c + (6 * ldc));
            Vector512.Store(va * c7, c + (7 * ldc));
            Vector512.Store(va * c8, c + (8 * ldc));
            Vector512.Store(va * c9, c + (9 * ldc));
            Vector512.Store(va * c10, c + (10 * ldc));
            Vector512.Store(va * c11, c + (11 * ldc));
            Vector512.Store(va * c12, c + (12 * ldc));
            Vector512.Store(va * c13, c + (13 * ldc));
            Vector512.Store(va * c14, c + (14 * ldc));
            Vector512.Store(va * c15, c + (15 * ldc));
            Vector512.Store(va * c16, c + (16 * ldc));
            Vector512.Store(va * c17, c + (17 * ldc));
            Vector512.Store(va * c18, c + (18 * ldc));
            Vector512.Store(va * c19, c + (19 * ldc));
            Vector512.Store(va * c20, c + (20 * ldc));
            Vector512.Store(va * c21, c + (21 * ldc));
            Vector512.Store(va * c22, c + (22 * ldc));
            Vector512.Store(va * c23, c + (23 * ldc));
            Vector512.Store(va * c24, c + (24 * ldc));
            Vector512.Store(va * c25, c + (25 * ldc));
            Vector512.Store(va * c26, c + (26 * ldc));
            Vector512.Store(va * c27, c + (27 * ldc));
        }
        else
        {
            Vector512.Store((va * c0) + (vb * Vector512.Load(c + (0 * ldc))), c + (0 * ldc));
            Vector512.Store((va * c1) + (vb * Vector512.Load(c + (1 * ldc))), c + (1 * ldc));
            Vector512.Store((va * c2) + (vb * Vector512.Load(c + (2 * ldc))), c + (2 * ldc));
            Vector512.Store((va * c3) + (vb * Vector512.Load(c + (3 * ldc))), c + (3 * ldc));
            Vector512.Store((va * c4) + (vb * Vector512.Load(c + (4 * ldc))), c + (4 * ldc));
            Vector512.Store((va * c5) + (vb * Vector512.Load(c + (5 * ldc))), c + (5 * ldc));
            Vector512.Store((va * c6) + (vb * Vector512.Load(c + (6 * ldc))), c + (6 * ldc));
            Vector512.Store((va * c7) + (vb * Vector512.Load(c + (7 * ldc))), c + (7 * ldc));
            Vector512.Store((va * c8) + (vb * Vector512.Load(c + (8 * ldc))), c + (8 * ldc));
            Vector512.Store((va * c9) + (vb * Vector512.Load(c + (9 * ldc))), c + (9 * ldc));
            Vector512.Store((va * c10) + (vb * Vector512.Load(c + (10 * ldc))), c + (10 * ldc));
            Vector512.Store((va * c11) + (vb * Vector512.Load(c + (11 * ldc))), c + (11 * ldc));
            Vector512.Store((va * c12) + (vb * Vector512.Load(c + (12 * ldc))), c + (12 * ldc));
            Vector512.Store((va * c13) + (vb * Vector512.Load(c + (13 * ldc))), c + (13 * ldc));
            Vector512.Store((va * c14) + (vb * Vector512.Load(c + (14 * ldc))), c + (14 * ldc));
            Vector512.Store((va * c15) + (vb * Vector512.Load(c + (15 * ldc))), c + (15 * ldc));
            Vector512.Store((va * c16) + (vb * Vector512.Load(c + (16 * ldc))), c + (16 * ldc));
            Vector512.Store((va * c17) + (vb * Vector512.Load(c + (17 * ldc))), c + (17 * ldc));
            Vector512.Store((va * c18) + (vb * Vector512.Load(c + (18 * ldc))), c + (18 * ldc));
            Vector512.Store((va * c19) + (vb * Vector512.Load(c + (19 * ldc))), c + (19 * ldc));
            Vector512.Store((va * c20) + (vb * Vector512.Load(c + (20 * ldc))), c + (20 * ldc));
            Vector512.Store((va * c21) + (vb * Vector512.Load(c + (21 * ldc))), c + (21 * ldc));
            Vector512.Store((va * c22) + (vb * Vector512.Load(c + (22 * ldc))), c + (22 * ldc));
            Vector512.Store((va * c23) + (vb * Vector512.Load(c + (23 * ldc))), c + (23 * ldc));
            Vector512.Store((va * c24) + (vb * Vector512.Load(c + (24 * ldc))), c + (24 * ldc));
            Vector512.Store((va * c25) + (vb * Vector512.Load(c + (25 * ldc))), c + (25 * ldc));
            Vector512.Store((va * c26) + (vb * Vector512.Load(c + (26 * ldc))), c + (26 * ldc));
            Vector512.Store((va * c27) + (vb * Vector512.Load(c + (27 * ldc))), c + (27 * ldc));
        }
    }


    /// <summary>The AVX2+FMA micro-kernel: a 6×16 tile held in 12 ymm accumulators.</summary>
    [SkipLocalsInit]
    internal static unsafe void Avx26x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
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
            Vector256<float> b0 = Avx.LoadAlignedVector256(b);
            Vector256<float> b1 = Avx.LoadAlignedVector256(b + 8);
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
            b += 16;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        if (beta == 0f)
        {
            Vector256.Store(va * c00, c + 0 * ldc); Vector256.Store(va * c01, c + 0 * ldc + 8);
            Vector256.Store(va * c10, c + 1 * ldc); Vector256.Store(va * c11, c + 1 * ldc + 8);
            Vector256.Store(va * c20, c + 2 * ldc); Vector256.Store(va * c21, c + 2 * ldc + 8);
            Vector256.Store(va * c30, c + 3 * ldc); Vector256.Store(va * c31, c + 3 * ldc + 8);
            Vector256.Store(va * c40, c + 4 * ldc); Vector256.Store(va * c41, c + 4 * ldc + 8);
            Vector256.Store(va * c50, c + 5 * ldc); Vector256.Store(va * c51, c + 5 * ldc + 8);
        }
        else
        {
            Store256(c + 0 * ldc, c00, c01, va, vb);
            Store256(c + 1 * ldc, c10, c11, va, vb);
            Store256(c + 2 * ldc, c20, c21, va, vb);
            Store256(c + 3 * ldc, c30, c31, va, vb);
            Store256(c + 4 * ldc, c40, c41, va, vb);
            Store256(c + 5 * ldc, c50, c51, va, vb);
        }
    }

    /// <summary>The portable 128-bit micro-kernel (SSE, or AdvSimd on ARM64): a 6×8 tile held in 12 accumulators.</summary>
    [SkipLocalsInit]
    internal static unsafe void Vector1286x8(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default;
        Vector128<float> c40 = default, c41 = default;
        Vector128<float> c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> x;
            x = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
            x = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
            x = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
            x = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
            x = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(x, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(x, b1, c41);
            x = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(x, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(x, b1, c51);
            a += 6;
            b += 8;
        }
        Vector128<float> va = Vector128.Create(alpha), vb = Vector128.Create(beta);
        if (beta == 0f)
        {
            Vector128.Store(va * c00, c + 0 * ldc); Vector128.Store(va * c01, c + 0 * ldc + 4);
            Vector128.Store(va * c10, c + 1 * ldc); Vector128.Store(va * c11, c + 1 * ldc + 4);
            Vector128.Store(va * c20, c + 2 * ldc); Vector128.Store(va * c21, c + 2 * ldc + 4);
            Vector128.Store(va * c30, c + 3 * ldc); Vector128.Store(va * c31, c + 3 * ldc + 4);
            Vector128.Store(va * c40, c + 4 * ldc); Vector128.Store(va * c41, c + 4 * ldc + 4);
            Vector128.Store(va * c50, c + 5 * ldc); Vector128.Store(va * c51, c + 5 * ldc + 4);
        }
        else
        {
            Store128(c + 0 * ldc, c00, c01, va, vb);
            Store128(c + 1 * ldc, c10, c11, va, vb);
            Store128(c + 2 * ldc, c20, c21, va, vb);
            Store128(c + 3 * ldc, c30, c31, va, vb);
            Store128(c + 4 * ldc, c40, c41, va, vb);
            Store128(c + 5 * ldc, c50, c51, va, vb);
        }
    }

    /// <summary>The scalar fallback: a 4×4 tile, multiply then add (no FMA, which would be emulated in software where SIMD is missing).</summary>
    [SkipLocalsInit]
    internal static unsafe void Scalar4x4(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4;
            b += 4;
        }

        StoreScalarRow(c, c00, c01, c02, c03, alpha, beta);
        StoreScalarRow(c + ldc, c10, c11, c12, c13, alpha, beta);
        StoreScalarRow(c + (2 * ldc), c20, c21, c22, c23, alpha, beta);
        StoreScalarRow(c + (3 * ldc), c30, c31, c32, c33, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreScalarRow(float* c, float x0, float x1, float x2, float x3, float alpha, float beta)
    {
        if (beta == 0f)
        {
            c[0] = alpha * x0; c[1] = alpha * x1; c[2] = alpha * x2; c[3] = alpha * x3;
        }
        else
        {
            c[0] = (alpha * x0) + (beta * c[0]); c[1] = (alpha * x1) + (beta * c[1]);
            c[2] = (alpha * x2) + (beta * c[2]); c[3] = (alpha * x3) + (beta * c[3]);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded micro-panel layout the micro-kernels read:
/// an A panel holds, for each k, MR consecutive row values; a B panel holds, for each k, NR consecutive column values.
/// </summary>
/// <remarks>
/// Two source layouts occur. When the panel's rows (or columns) are contiguous for each k, a panel step is a
/// plain copy. When instead each panel row is contiguous along k (A not transposed, B transposed), the block is
/// transposed 8×8 at a time with AVX shuffles; the scalar loop is the fallback elsewhere. Packing only moves
/// values, so which path runs never changes a result bit.
/// The transposing path may write up to 8 floats past the end of a panel block (later overwritten or unused):
/// buffers need <see cref="Slack"/> floats of room after each block.
/// </remarks>
internal static class GemmPacking
{
    /// <summary>Floats of scratch room a packed block may touch past its end.</summary>
    public const int Slack = 16;

    /// <summary>Packs rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into ⌈mc/mr⌉ panels of kc·mr floats.</summary>
    public static unsafe void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        if (transA)
        {
            // op(A)[i, p] = a[p·lda + i]: each k contributes a contiguous run of rows to every panel.
            CopyRuns(a + ((long)p0 * lda) + i0, lda, kc, mc, mr, dst);
            return;
        }

        for (int ir = 0; ir < mc; ir += mr)
        {
            // op(A)[i, p] = a[i·lda + p]: rows are contiguous in k, so the block is transposed.
            Transpose(a + ((long)(i0 + ir) * lda) + p0, lda, Math.Min(mr, mc - ir), kc, dst + ((nint)ir * kc), mr);
        }
    }

    /// <summary>Packs rows [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into ⌈nc/nr⌉ panels of kc·nr floats.</summary>
    public static unsafe void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        if (!transB)
        {
            // op(B)[p, j] = b[p·ldb + j]: each k row is a contiguous run of columns for every panel.
            CopyRuns(b + ((long)p0 * ldb) + j0, ldb, kc, nc, nr, dst);
            return;
        }

        for (int jr = 0; jr < nc; jr += nr)
        {
            // op(B)[p, j] = b[j·ldb + p]: columns of op(B) are contiguous rows of b.
            Transpose(b + ((long)(j0 + jr) * ldb) + p0, ldb, Math.Min(nr, nc - jr), kc, dst + ((nint)jr * kc), nr);
        }
    }

    /// <summary>
    /// Panel q gets d[q·width·kc + p·width + i] = s[p·ld + q·width + i] (0 past <paramref name="total"/>), for p &lt; kc.
    /// The source is walked row by row, so the hardware prefetcher sees one sequential stream even when ld is a
    /// large power of two (walking it panel by panel would touch one line per 4 KiB page, which it does not follow).
    /// </summary>
    private static unsafe void CopyRuns(float* s, int ld, int kc, int total, int width, float* d)
    {
        int fullPanels = total / width, tail = total - (fullPanels * width);
        nint panelStride = (nint)width * kc;
        for (int p = 0; p < kc; p++, s += ld)
        {
            float* dp = d + ((nint)p * width);
            for (int q = 0; q < fullPanels; q++)
            {
                CopyRun(s + (q * width), dp + (q * panelStride), width, width);
            }

            if (tail > 0)
            {
                CopyRun(s + (fullPanels * width), dp + (fullPanels * panelStride), tail, width);
            }
        }
    }

    /// <summary>Writes one row (k index p) of a B block: panel q gets row[q·nr .. q·nr + nr) at offset q·kc·nr + p·nr, zero-padded.</summary>
    public static unsafe void DealRow(float* row, int nc, int nr, int kc, int p, float* dst)
    {
        int fullPanels = nc / nr, tail = nc - (fullPanels * nr);
        nint panelStride = (nint)nr * kc;
        float* dp = dst + ((nint)p * nr);
        for (int q = 0; q < fullPanels; q++)
        {
            CopyRun(row + (q * nr), dp + (q * panelStride), nr, nr);
        }

        if (tail > 0)
        {
            CopyRun(row + (fullPanels * nr), dp + (fullPanels * panelStride), tail, nr);
        }
    }

    /// <summary>d[i] = s[i] for i &lt; count, 0 for count ≤ i &lt; width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRun(float* s, float* d, int count, int width)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            // Whole vectors, then one last vector ending exactly at count (it may overlap the previous one).
            for (; i <= count - 8; i += 8)
            {
                Vector256.Store(Vector256.Load(s + i), d + i);
            }

            if (i < count)
            {
                Vector256.Store(Vector256.Load(s + count - 8), d + count - 8);
            }
        }
        else
        {
            for (; i < count; i++)
            {
                d[i] = s[i];
            }
        }

        for (i = count; i < width; i++)
        {
            d[i] = 0f;
        }
    }

    /// <summary>d[p·width + r] = s[r·ld + p] for r &lt; rows, 0 for rows ≤ r &lt; width, p &lt; kc.</summary>
    private static unsafe void Transpose(float* s, int ld, int rows, int kc, float* d, int width)
    {
        int p = 0;
        if (Avx.IsSupported && kc >= 8)
        {
            int groups = (width + 7) / 8;
            for (; p <= kc - 8; p += 8)
            {
                // Highest group first: a group whose 8-wide stores run past the panel width spills into the next
                // k's first entries, which the lower groups (or, for width < 8, the next k's store) then overwrite.
                for (int g = groups - 1; g >= 0; g--)
                {
                    int r0 = g * 8;
                    Transpose8x8(s + ((long)r0 * ld) + p, ld, rows - r0, d + ((nint)p * width) + r0, width);
                }
            }
        }

        for (; p < kc; p++)
        {
            float* dp = d + ((nint)p * width);
            for (int r = 0; r < rows; r++)
            {
                dp[r] = s[((long)r * ld) + p];
            }

            for (int r = rows; r < width; r++)
            {
                dp[r] = 0f;
            }
        }
    }

    /// <summary>Transposes an 8×8 tile (rows beyond <paramref name="valid"/> read as 0) into 8 stores of 8 floats, <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void Transpose8x8(float* s, int ld, int valid, float* d, int stride)
    {
        Vector256<float> r0 = Row(s, ld, 0, valid), r1 = Row(s, ld, 1, valid), r2 = Row(s, ld, 2, valid), r3 = Row(s, ld, 3, valid);
        Vector256<float> r4 = Row(s, ld, 4, valid), r5 = Row(s, ld, 5, valid), r6 = Row(s, ld, 6, valid), r7 = Row(s, ld, 7, valid);
        StoreTransposed(r0, r1, r2, r3, r4, r5, r6, r7, d, stride);
    }

    /// <summary>Stores the transpose of the 8×8 tile whose rows are <paramref name="r0"/>..<paramref name="r7"/>: column j goes to d + j·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void StoreTransposed(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* d, int stride)
    {
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x20), d);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x20), d + stride);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x20), d + (2 * stride));
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x20), d + (3 * stride));
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x31), d + (4 * stride));
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x31), d + (5 * stride));
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x31), d + (6 * stride));
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x31), d + (7 * stride));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Row(float* s, int ld, int r, int valid)
        => r < valid ? Vector256.Load(s + ((long)r * ld)) : Vector256<float>.Zero;
}

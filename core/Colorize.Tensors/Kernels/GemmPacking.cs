using System.Runtime.CompilerServices;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded micro-panel layout the micro-kernels read:
/// an A panel holds, for each k, MR consecutive row values; a B panel holds, for each k, NR consecutive column values.
/// </summary>
internal static class GemmPacking
{
    /// <summary>Packs rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into ⌈mc/mr⌉ panels of kc·mr floats.</summary>
    public static unsafe void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* d = dst + ((nint)ir * kc);
            if (transA)
            {
                // op(A)[i, p] = a[p·lda + i]: each k contributes a contiguous run of rows.
                float* s = a + ((long)p0 * lda) + i0 + ir;
                for (int p = 0; p < kc; p++, s += lda, d += mr)
                {
                    CopyPadded(s, d, rows, mr);
                }
            }
            else
            {
                // op(A)[i, p] = a[i·lda + p]: rows are contiguous in k, so read them row by row.
                for (int r = 0; r < rows; r++)
                {
                    float* s = a + ((long)(i0 + ir + r) * lda) + p0;
                    float* dr = d + r;
                    for (int p = 0; p < kc; p++)
                    {
                        dr[(nint)p * mr] = s[p];
                    }
                }

                for (int r = rows; r < mr; r++)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[((nint)p * mr) + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs rows [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into ⌈nc/nr⌉ panels of kc·nr floats.</summary>
    public static unsafe void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* d = dst + ((nint)jr * kc);
            if (!transB)
            {
                // op(B)[p, j] = b[p·ldb + j]: each k row is a contiguous run of columns.
                float* s = b + ((long)p0 * ldb) + j0 + jr;
                for (int p = 0; p < kc; p++, s += ldb, d += nr)
                {
                    CopyPadded(s, d, cols, nr);
                }
            }
            else
            {
                // op(B)[p, j] = b[j·ldb + p]: columns of op(B) are contiguous rows of b.
                for (int q = 0; q < cols; q++)
                {
                    float* s = b + ((long)(j0 + jr + q) * ldb) + p0;
                    float* dq = d + q;
                    for (int p = 0; p < kc; p++)
                    {
                        dq[(nint)p * nr] = s[p];
                    }
                }

                for (int q = cols; q < nr; q++)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[((nint)p * nr) + q] = 0f;
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyPadded(float* s, float* d, int count, int width)
    {
        Unsafe.CopyBlockUnaligned(d, s, (uint)count * sizeof(float));
        for (int i = count; i < width; i++)
        {
            d[i] = 0f;
        }
    }
}

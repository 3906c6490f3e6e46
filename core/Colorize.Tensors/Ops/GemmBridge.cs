using System.Numerics.Tensors;

namespace Colorize.Tensors.Ops;

/// <summary>
/// The single entry point the ops use for matrix products: C = op(A)·op(B), or C += op(A)·op(B) when accumulating,
/// row-major. Kept in one place so the GEMM kernel behind it can change without touching any op.
/// </summary>
internal static class GemmBridge
{
    public static void Gemm(
        bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        if (!accumulate)
        {
            c[..(m * n)].Clear();
        }

        // Row-by-row AXPY form; each C row is independent, so any split over rows keeps results bit-identical.
        var bT = transB ? Transposed(b, k, n, ldb) : null;
        var bMat = transB ? bT! : b.ToArray();
        var aCopy = a.ToArray();
        var cArr = new float[m * n];
        c[..(m * n)].CopyTo(cArr);
        Parallelism.For(m, Math.Max(1, 8192 / Math.Max(1, n * k / 64 + 1)), (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                var crow = cArr.AsSpan(i * n, n);
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? aCopy[(p * lda) + i] : aCopy[(i * lda) + p];
                    if (aip != 0f)
                    {
                        TensorPrimitives.MultiplyAdd(bMat.AsSpan(p * n, n), aip, crow, crow);
                    }
                }
            }
        });
        cArr.CopyTo(c);
    }

    private static float[] Transposed(ReadOnlySpan<float> b, int k, int n, int ldb)
    {
        // b is [n, k] (ldb = k); produce [k, n].
        var t = new float[k * n];
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                t[(p * n) + j] = b[(j * ldb) + p];
            }
        }

        return t;
    }
}

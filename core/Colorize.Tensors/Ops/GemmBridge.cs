using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Ops;

/// <summary>
/// The single entry point the ops use for matrix products: C = op(A)·op(B), or C += op(A)·op(B) when accumulating,
/// row-major and tightly packed. Kept in one place so the GEMM kernel behind it can change without touching any op.
/// </summary>
internal static class GemmBridge
{
    public static void Gemm(
        bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        int lda = Math.Max(1, transA ? m : k);
        int ldb = Math.Max(1, transB ? k : n);
        Kernels.Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, accumulate ? 1f : 0f, c, n, TensorOptions.NumThreads);
    }
}

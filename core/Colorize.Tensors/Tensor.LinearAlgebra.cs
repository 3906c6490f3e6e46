using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors;

public sealed partial class Tensor
{
    /// <summary>Matrix product with PyTorch's <c>matmul</c> rules (1-D and 2-D operands, broadcast batch dimensions).</summary>
    public Tensor Matmul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
        {
            throw new ArgumentException("Matmul needs tensors of rank 1 or more.");
        }

        if (Rank == 1 && other.Rank == 1)
        {
            return (this * other).Sum();
        }

        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(1) : other;
        Tensor result;
        if (a.Rank == 2 && b.Rank == 2)
        {
            result = MatMulCore(a, b, false, false);
        }
        else
        {
            // Broadcast batch dimensions, then run one batched product.
            var batchA = a._shape[..^2];
            var batchB = b._shape[..^2];
            var batch = ShapeUtil.Broadcast(batchA, batchB);
            int batchCount = ShapeUtil.Count(batch);
            var a3 = a.Expand([.. batch, a._shape[^2], a._shape[^1]]).Reshape(batchCount, a._shape[^2], a._shape[^1]);
            var b3 = b.Expand([.. batch, b._shape[^2], b._shape[^1]]).Reshape(batchCount, b._shape[^2], b._shape[^1]);
            result = MatMulCore(a3, b3, false, false).Reshape([.. batch, a._shape[^2], b._shape[^1]]);
        }

        if (Rank == 1)
        {
            result = result.Squeeze(-2);
        }

        if (other.Rank == 1)
        {
            result = result.Squeeze(-1);
        }

        return result;
    }

    /// <summary>Batched matrix product of [B, M, K] and [B, K, N] tensors.</summary>
    public Tensor Bmm(Tensor other)
    {
        if (Rank != 3 || other.Rank != 3 || _shape[0] != other._shape[0])
        {
            throw new ArgumentException($"Bmm needs [B, M, K] and [B, K, N] tensors, got {ShapeUtil.Format(_shape)} and {ShapeUtil.Format(other._shape)}.");
        }

        return MatMulCore(this, other, false, false);
    }

    /// <summary>op(a)·op(b) for 2-D or equally batched 3-D tensors, with transposes folded into the GEMM.</summary>
    internal static Tensor MatMulCore(Tensor a, Tensor b, bool transA, bool transB)
    {
        bool batched = a.Rank == 3;
        int batch = batched ? a._shape[0] : 1;
        int ar = a._shape[^2], ac = a._shape[^1], br = b._shape[^2], bc = b._shape[^1];
        int m = transA ? ac : ar, k = transA ? ar : ac;
        int kb = transB ? bc : br, n = transB ? br : bc;
        if (k != kb || (batched && (b.Rank != 3 || b._shape[0] != batch)) || (!batched && b.Rank != 2))
        {
            throw new ArgumentException($"Matmul shapes {ShapeUtil.Format(a._shape)}{(transA ? "ᵀ" : "")} and {ShapeUtil.Format(b._shape)}{(transB ? "ᵀ" : "")} do not fit.");
        }

        ExecutionScope.Checkpoint();
        var result = batched ? Empty(batch, m, n) : Empty(m, n);
        int aStride = ar * ac, bStride = br * bc, cStride = m * n;
        for (int i = 0; i < batch; i++)
        {
            GemmBridge.Gemm(transA, transB, m, n, k,
                a._storage.AsSpan(i * aStride, aStride), b._storage.AsSpan(i * bStride, bStride),
                result._storage.AsSpan(i * cStride, cStride), accumulate: false);
        }

        if (GradMode.ShouldRecord(a, b))
        {
            Node.Record(result, "MmBackward0", [a, b], (g, need) =>
            {
                Tensor? ga = null, gb = null;
                if (need[0])
                {
                    ga = transA ? MatMulCore(b, g, transB, true) : MatMulCore(g, b, false, !transB);
                }

                if (need[1])
                {
                    gb = transB ? MatMulCore(g, a, true, transA) : MatMulCore(a, g, !transA, false);
                }

                return [ga, gb];
            });
        }

        return result;
    }
}

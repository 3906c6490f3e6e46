using System.Numerics.Tensors;

namespace Colorize.Tensors.Ops;

/// <summary>Reduction kernels over one dimension, viewing the tensor as [outer, n, inner].</summary>
internal static class ReductionKernels
{
    public static (int Outer, int N, int Inner) Split(ReadOnlySpan<int> shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++)
        {
            outer *= shape[i];
        }

        for (int i = dim + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }

        return (outer, shape[dim], inner);
    }

    /// <summary>Sums dimension <paramref name="dim"/> away, keeping it as size 1.</summary>
    public static Tensor SumDim(Tensor x, int dim)
    {
        var (outer, n, inner) = Split(x.Shape, dim);
        var shape = x.GetShape();
        shape[dim] = 1;
        var result = Tensor.Zeros(shape);
        var src = x.Storage;
        var dst = result.Storage;
        if (inner == 1)
        {
            Parallelism.For(outer, Math.Max(1, Elementwise.Grain / Math.Max(1, n)), (s, e) =>
            {
                for (int o = s; o < e; o++)
                {
                    dst[o] = TensorPrimitives.Sum(src.AsSpan(o * n, n));
                }
            });
            return result;
        }

        // Split the work over (outer, inner-chunk) blocks so every output element is summed in the same order
        // whatever the thread count.
        const int InnerChunk = 4096;
        int chunksPerRow = (inner + InnerChunk - 1) / InnerChunk;
        Parallelism.For(outer * chunksPerRow, Math.Max(1, Elementwise.Grain / Math.Max(1, n * Math.Min(inner, InnerChunk))), (s, e) =>
        {
            for (int job = s; job < e; job++)
            {
                int o = job / chunksPerRow;
                int c0 = (job % chunksPerRow) * InnerChunk;
                int len = Math.Min(InnerChunk, inner - c0);
                var acc = dst.AsSpan((o * inner) + c0, len);
                for (int r = 0; r < n; r++)
                {
                    TensorPrimitives.Add(acc, src.AsSpan((((o * n) + r) * inner) + c0, len), acc);
                }
            }
        });
        return result;
    }

    /// <summary>Maximum over <paramref name="dim"/> (kept as size 1) and the index of the first maximum; NaN wins, as in PyTorch.</summary>
    public static (Tensor Values, int[] Indices) MaxDim(Tensor x, int dim)
    {
        var (outer, n, inner) = Split(x.Shape, dim);
        if (n == 0)
        {
            throw new ArgumentException("max() of an empty dimension has no value.");
        }

        var shape = x.GetShape();
        shape[dim] = 1;
        var result = Tensor.Empty(shape);
        var indices = new int[outer * inner];
        var src = x.Storage;
        var dst = result.Storage;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIdx = (o * n * inner) + i;
                float best = src[baseIdx];
                int bestIdx = 0;
                for (int r = 1; r < n && !float.IsNaN(best); r++)
                {
                    float v = src[baseIdx + (r * inner)];
                    if (v > best || float.IsNaN(v))
                    {
                        best = v;
                        bestIdx = r;
                    }
                }

                dst[(o * inner) + i] = best;
                indices[(o * inner) + i] = bestIdx;
            }
        }

        return (result, indices);
    }
}

using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements, as a rank-0 tensor.</summary>
    public Tensor Sum()
    {
        var result = Scalar(System.Numerics.Tensors.TensorPrimitives.Sum(Data));
        if (GradMode.ShouldRecord(this))
        {
            var shape = ShapeArray;
            Node.Record(result, "SumBackward0", [this], (g, _) => [g.Expand(shape)]);
        }

        return result;
    }

    /// <summary>Sum over <paramref name="dims"/>, keeping them as size 1 when <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        var normalized = NormalizeDims(dims);
        Tensor result = this;
        using (NoGrad())
        {
            for (int i = normalized.Length - 1; i >= 0; i--)
            {
                result = ReductionKernels.SumDim(result, normalized[i]);
            }

            if (normalized.Length == 0)
            {
                result = new Tensor(Data.ToArray(), GetShape());
            }
        }

        var keptShape = result.ShapeArray;
        if (!keepDim)
        {
            result = result.Detach().Reshape(DropDims(keptShape, normalized));
        }

        if (GradMode.ShouldRecord(this))
        {
            var shape = ShapeArray;
            Node.Record(result, "SumBackward1", [this], (g, _) => [g.Reshape(keptShape).Expand(shape)]);
        }

        return result;
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean of all elements, as a rank-0 tensor.</summary>
    public Tensor Mean() => Sum().Mul(1f / Count);

    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        var normalized = NormalizeDims(dims);
        long n = 1;
        foreach (int d in normalized)
        {
            n *= _shape[d];
        }

        return Sum(normalized, keepDim).Mul(1f / n);
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Variance over <paramref name="dims"/>; <paramref name="unbiased"/> divides by n − 1 as <c>torch.var</c> does by default.</summary>
    public Tensor Var(int[] dims, bool unbiased = true, bool keepDim = false)
    {
        var normalized = NormalizeDims(dims);
        long n = 1;
        foreach (int d in normalized)
        {
            n *= _shape[d];
        }

        var centered = this - Mean(normalized, keepDim: true);
        var sq = centered * centered;
        return sq.Sum(normalized, keepDim).Mul(1f / (unbiased ? n - 1 : n));
    }

    /// <summary>Variance of all elements.</summary>
    public Tensor Var(bool unbiased = true) => Reshape(-1).Var([0], unbiased);

    /// <summary>Maximum of all elements (gradient split evenly among ties, as <c>torch.max()</c> does).</summary>
    public Tensor Max()
    {
        var flat = Reshape(-1);
        var (values, _) = ReductionKernels.MaxDim(flat, 0);
        var result = Scalar(values.Storage[0]);
        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            float m = result.Storage[0];
            Node.Record(result, "MaxBackward1", [x], (g, _) =>
            {
                var mask = Mask(x, v => v == m || (float.IsNaN(v) && float.IsNaN(m)) ? 1f : 0f);
                float ties = System.Numerics.Tensors.TensorPrimitives.Sum(mask.Data);
                return [g.Expand(x.ShapeArray) * mask.Mul(1f / ties)];
            });
        }

        return result;
    }

    /// <summary>Maximum over <paramref name="dim"/> and the indices where it occurs (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        var (values, idx) = ReductionKernels.MaxDim(this, d);
        var keptShape = values.ShapeArray;
        var outShape = keepDim ? keptShape : DropDims(keptShape, [d]);
        var indices = new Tensor(Array.ConvertAll(idx, i => (float)i), (int[])outShape.Clone());
        var result = values.Reshape(outShape);
        if (GradMode.ShouldRecord(this))
        {
            var shape = ShapeArray;
            Node.Record(result, "MaxBackward0", [this], (g, _) =>
            {
                var onehot = Zeros(shape);
                var (outer, n, inner) = ReductionKernels.Split(shape, d);
                var od = onehot.Storage;
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        od[(((o * n) + idx[(o * inner) + i]) * inner) + i] = 1f;
                    }
                }

                return [g.Reshape(keptShape).Expand(shape) * onehot];
            });
        }

        return (result, indices);
    }

    /// <summary>The Euclidean (L2) norm of all elements; its gradient at a zero norm is zero, as in PyTorch.</summary>
    public Tensor Norm() => Reshape(-1).Norm([0]);

    /// <summary>The L2 norm over <paramref name="dims"/> (<c>torch.linalg.vector_norm</c> with ord 2).</summary>
    public Tensor Norm(int[] dims, bool keepDim = false)
    {
        var normalized = NormalizeDims(dims);
        Tensor result;
        using (NoGrad())
        {
            result = (this * this).Sum(normalized, keepDim).Sqrt();
        }

        if (GradMode.ShouldRecord(this))
        {
            var x = this;
            Tensor keptNorm = keepDim ? result : result.Reshape(KeepDims(ShapeArray, normalized));
            Node.Record(result, "NormBackward1", [x], (g, _) =>
            {
                var gk = keepDim ? g : g.Reshape(KeepDims(x.ShapeArray, normalized));
                var norm = keepDim ? result : result.Reshape(keptNorm.ShapeArray);
                // d‖x‖/dx = x/‖x‖, defined as 0 where ‖x‖ = 0.
                var safeInverse = Where(norm, norm, OnesLike(norm)).Pow(-1f) * Mask(keptNorm, v => v != 0 ? 1f : 0f);
                return [x * (gk * safeInverse)];
            });
        }

        return result;
    }

    internal int[] NormalizeDims(int[] dims)
    {
        var set = new SortedSet<int>();
        foreach (int d in dims)
        {
            if (!set.Add(ShapeUtil.NormalizeDim(d, Rank)))
            {
                throw new ArgumentException($"Dimension {d} appears twice.");
            }
        }

        return [.. set];
    }

    private static int[] DropDims(int[] shape, int[] dims)
    {
        var result = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (Array.IndexOf(dims, i) < 0)
            {
                result.Add(shape[i]);
            }
        }

        return [.. result];
    }

    private static int[] KeepDims(int[] shape, int[] dims)
    {
        var result = (int[])shape.Clone();
        foreach (int d in dims)
        {
            result[d] = 1;
        }

        return result;
    }
}

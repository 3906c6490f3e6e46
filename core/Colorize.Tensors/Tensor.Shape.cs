using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors;

public sealed partial class Tensor
{
    /// <summary>The same data with a new shape (one dimension may be -1); shares storage, like <c>view</c>.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var newShape = ShapeUtil.InferShape(shape, Count);
        var result = new Tensor(_storage, newShape);
        if (GradMode.ShouldRecord(this))
        {
            var old = ShapeArray;
            Node.Record(result, "ViewBackward0", [this], (g, _) => [g.Reshape(old)]);
        }

        return result;
    }

    /// <summary>Alias of <see cref="Reshape"/>, named as in PyTorch.</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        int s = ShapeUtil.NormalizeDim(startDim, Math.Max(1, Rank));
        int e = ShapeUtil.NormalizeDim(endDim, Math.Max(1, Rank));
        if (Rank == 0)
        {
            return Reshape(1);
        }

        var shape = new List<int>();
        for (int i = 0; i < s; i++)
        {
            shape.Add(_shape[i]);
        }

        int merged = 1;
        for (int i = s; i <= e; i++)
        {
            merged *= _shape[i];
        }

        shape.Add(merged);
        for (int i = e + 1; i < Rank; i++)
        {
            shape.Add(_shape[i]);
        }

        return Reshape([.. shape]);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank + 1);
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if it has size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        if (_shape[d] != 1)
        {
            return this;
        }

        var shape = new List<int>(_shape);
        shape.RemoveAt(d);
        return Reshape([.. shape]);
    }

    /// <summary>Removes every dimension of size 1.</summary>
    public Tensor Squeeze() => Reshape(Array.FindAll(_shape, s => s != 1));

    /// <summary>Reorders the dimensions (a copy).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank)
        {
            throw new ArgumentException($"Permute needs {Rank} dimensions, got {dims.Length}.");
        }

        var perm = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            perm[i] = ShapeUtil.NormalizeDim(dims[i], Rank);
            if (seen[perm[i]])
            {
                throw new ArgumentException("Permute dimensions must be distinct.");
            }

            seen[perm[i]] = true;
        }

        var strides = ShapeUtil.Strides(_shape);
        var newShape = new int[Rank];
        var srcStrides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            newShape[i] = _shape[perm[i]];
            srcStrides[i] = strides[perm[i]];
        }

        var result = Empty(newShape);
        if (Count > 0)
        {
            StridedCopy.Gather(_storage, 0, newShape, srcStrides, result._storage);
        }

        if (GradMode.ShouldRecord(this))
        {
            var inverse = new int[Rank];
            for (int i = 0; i < Rank; i++)
            {
                inverse[perm[i]] = i;
            }

            Node.Record(result, "PermuteBackward0", [this], (g, _) => [g.Permute(inverse)]);
        }

        return result;
    }

    /// <summary>Swaps two dimensions (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            perm[i] = i;
        }

        int a = ShapeUtil.NormalizeDim(dim0, Rank), b = ShapeUtil.NormalizeDim(dim1, Rank);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>The transpose of a 2-D tensor.</summary>
    public Tensor T() => Rank == 2 ? Transpose(0, 1) : throw new InvalidOperationException("T() needs a 2-D tensor.");

    /// <summary>The elements <paramref name="start"/> .. <paramref name="start"/> + <paramref name="length"/> − 1 of <paramref name="dim"/> (a copy).</summary>
    public Tensor Narrow(int dim, int start, int length) => Slice(dim, start, start + length, 1);

    /// <summary>Python's <c>x[..., start:end:step, ...]</c> along <paramref name="dim"/> (a copy); negative bounds count from the end.</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        int size = _shape[d];
        if (step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), "Slice step must be positive.");
        }

        int s = Math.Clamp(start < 0 ? start + size : start, 0, size);
        int e = Math.Clamp(end < 0 ? end + size : end, 0, size);
        int length = Math.Max(0, (e - s + step - 1) / step);
        var newShape = GetShape();
        newShape[d] = length;
        var strides = ShapeUtil.Strides(_shape);
        var srcStrides = (int[])strides.Clone();
        srcStrides[d] *= step;
        var result = Empty(newShape);
        if (result.Count > 0)
        {
            StridedCopy.Gather(_storage, s * strides[d], newShape, srcStrides, result._storage);
        }

        if (GradMode.ShouldRecord(this))
        {
            var fullShape = ShapeArray;
            Node.Record(result, "SliceBackward0", [this], (g, _) => [SliceBackward(g, fullShape, d, s, step)]);
        }

        return result;
    }

    /// <summary>Scatters a slice's gradient into zeros of the full shape; differentiable (its gradient is the slice).</summary>
    private static Tensor SliceBackward(Tensor g, int[] fullShape, int dim, int start, int step)
    {
        var result = Zeros(fullShape);
        var (outer, n, inner) = ReductionKernels.Split(fullShape, dim);
        int len = g.Shape[dim];
        var gd = g._storage;
        var rd = result._storage;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < len; i++)
            {
                Array.Copy(gd, ((o * len) + i) * inner, rd, ((o * n) + start + (i * step)) * inner, inner);
            }
        }

        if (GradMode.ShouldRecord(g))
        {
            int end = start + ((len - 1) * step) + 1;
            Node.Record(result, "SliceBackwardBackward0", [g], (gg, _) => [gg.Slice(dim, start, end, step)]);
        }

        return result;
    }

    /// <summary>Broadcasts to <paramref name="shape"/> (a copy; -1 keeps a dimension).</summary>
    public Tensor Expand(params int[] shape)
    {
        var target = (int[])shape.Clone();
        int offset = target.Length - Rank;
        if (offset < 0)
        {
            throw new ArgumentException($"Cannot expand shape {ShapeUtil.Format(_shape)} to fewer dimensions {ShapeUtil.Format(shape)}.");
        }

        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                target[i] = i - offset >= 0 ? _shape[i - offset] : throw new ArgumentException("-1 is not allowed for new leading dimensions.");
            }

            if (i - offset >= 0 && _shape[i - offset] != 1 && _shape[i - offset] != target[i])
            {
                throw new ArgumentException($"Cannot expand shape {ShapeUtil.Format(_shape)} to {ShapeUtil.Format(shape)}.");
            }
        }

        if (ShapeUtil.SameShape(target, _shape))
        {
            return this;
        }

        var result = Elementwise.BroadcastTo(this, target);
        if (GradMode.ShouldRecord(this))
        {
            var own = ShapeArray;
            Node.Record(result, "ExpandBackward0", [this], (g, _) => [SumTo(g, own)]);
        }

        return result;
    }

    /// <summary>Concatenates tensors along <paramref name="dim"/>.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Cat(tensors, dim, relu: false);

    /// <summary>
    /// Concatenates tensors along <paramref name="dim"/>, with max(·, 0) applied as they are copied when
    /// <paramref name="relu"/> (one pass instead of the concatenation's and the ReLU's) and nothing is recorded;
    /// under autograd the concatenation and then <see cref="Relu"/>, the same bits.
    /// </summary>
    internal static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim, bool relu)
    {
        if (relu && GradMode.IsEnabled && tensors.Any(t => t.RequiresGrad))
        {
            return Cat(tensors, dim, relu: false).Relu();
        }

        if (tensors.Count == 0)
        {
            throw new ArgumentException("Cat needs at least one tensor.");
        }

        var first = tensors[0];
        int d = ShapeUtil.NormalizeDim(dim, first.Rank);
        var shape = first.GetShape();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank)
            {
                throw new ArgumentException("Cat needs tensors of the same rank.");
            }

            for (int i = 0; i < t.Rank; i++)
            {
                if (i != d && t._shape[i] != first._shape[i])
                {
                    throw new ArgumentException($"Cat: shapes {ShapeUtil.Format(first._shape)} and {ShapeUtil.Format(t._shape)} differ outside dimension {d}.");
                }
            }

            shape[d] += t._shape[d];
        }

        var result = Empty(shape);
        var (outer, total, inner) = ReductionKernels.Split(shape, d);
        int offset = 0;
        foreach (var t in tensors)
        {
            int len = t._shape[d];
            int block = len * inner;
            var src = t._storage;
            var dst = result._storage;
            int off = offset;
            // Split by elements, not by the outer index: a batch of one (inference) is one outer block, which was one
            // thread's copy of the whole tensor.
            Parallelism.For(t.Count, Elementwise.Grain, (start, end) =>
            {
                while (start < end)
                {
                    int o = start / block, within = start - (o * block), count = Math.Min(end - start, block - within);
                    var from = src.AsSpan(start, count);
                    var to = dst.AsSpan((((o * total) + off) * inner) + within, count);
                    if (relu)
                    {
                        // What Relu() computes (ReluOperator), so the bits are the same.
                        System.Numerics.Tensors.TensorPrimitives.Max(from, 0f, to);
                    }
                    else
                    {
                        from.CopyTo(to);
                    }

                    start += count;
                }
            });
            offset += len;
        }

        var tensorArray = tensors.ToArray();
        if (GradMode.ShouldRecord(tensorArray))
        {
            var sizes = Array.ConvertAll(tensorArray, t => t._shape[d]);
            Node.Record(result, "CatBackward0", tensorArray, (g, n) =>
            {
                var grads = new Tensor?[sizes.Length];
                int start = 0;
                for (int i = 0; i < sizes.Length; i++)
                {
                    if (n[i])
                    {
                        grads[i] = g.Narrow(d, start, sizes[i]);
                    }

                    start += sizes[i];
                }

                return grads;
            });
        }

        return result;
    }

    /// <summary>Stacks tensors of equal shape along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0)
        {
            throw new ArgumentException("Stack needs at least one tensor.");
        }

        int d = ShapeUtil.NormalizeDim(dim, tensors[0].Rank + 1);
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!ShapeUtil.SameShape(tensors[i]._shape, tensors[0]._shape))
            {
                throw new ArgumentException("Stack needs tensors of equal shape.");
            }

            parts[i] = tensors[i].Unsqueeze(d);
        }

        return Cat(parts, d);
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(splitSize);
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        var pieces = new List<Tensor>();
        for (int start = 0; start < _shape[d]; start += splitSize)
        {
            pieces.Add(Narrow(d, start, Math.Min(splitSize, _shape[d] - start)));
        }

        return [.. pieces];
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/>.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        if (sizes.Sum() != _shape[d])
        {
            throw new ArgumentException($"Split sizes add up to {sizes.Sum()}, dimension {d} has {_shape[d]}.");
        }

        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }

        return pieces;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces, like <c>torch.chunk</c>.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        int d = ShapeUtil.NormalizeDim(dim, Rank);
        int size = (_shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(1, size), d);
    }

    /// <summary>Returns this tensor: tensors are always contiguous. Kept so PyTorch code ports line by line.</summary>
    public Tensor Contiguous() => this;
}

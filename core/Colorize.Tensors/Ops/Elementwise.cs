using System.Numerics.Tensors;

namespace Colorize.Tensors.Ops;

/// <summary>Elementwise kernels: broadcasting binary ops, unary ops and in-place helpers, chunked over threads.</summary>
internal static class Elementwise
{
    /// <summary>Below this many elements a loop stays on one thread: the hand-off costs more than it saves.</summary>
    public const int Grain = 1 << 15;

    public static Tensor Binary<TOp>(Tensor a, Tensor b)
        where TOp : struct, IBinaryOperator
    {
        var ad = a.Storage;
        var bd = b.Storage;
        if (ShapeUtil.SameShape(a.Shape, b.Shape))
        {
            var r = Tensor.Empty(a.ShapeArray);
            var rd = r.Storage;
            Parallelism.For(a.Count, Grain, (s, e) => TOp.Invoke(ad.AsSpan(s, e - s), bd.AsSpan(s, e - s), rd.AsSpan(s, e - s)));
            return r;
        }

        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var result = Tensor.Empty(shape);
        var dst = result.Storage;
        if (b.Count == 1 && a.Count == result.Count)
        {
            float y = bd[0];
            Parallelism.For(a.Count, Grain, (s, e) => TOp.Invoke(ad.AsSpan(s, e - s), y, dst.AsSpan(s, e - s)));
            return result;
        }

        if (a.Count == 1 && b.Count == result.Count)
        {
            float x = ad[0];
            Parallelism.For(b.Count, Grain, (s, e) => TOp.Invoke(x, bd.AsSpan(s, e - s), dst.AsSpan(s, e - s)));
            return result;
        }

        var plan = BroadcastPlan.Create(shape, ShapeUtil.BroadcastStrides(a.Shape, shape), ShapeUtil.BroadcastStrides(b.Shape, shape));
        int inner = plan.InnerLength;
        int rows = result.Count / Math.Max(1, inner);
        int rowGrain = Math.Max(1, Grain / Math.Max(1, inner));
        Parallelism.For(rows, rowGrain, (s, e) =>
        {
            for (int row = s; row < e; row++)
            {
                plan.Offsets(row, out int ao, out int bo);
                var d = dst.AsSpan(row * inner, inner);
                switch (plan.InnerStrideA, plan.InnerStrideB)
                {
                    case (1, 1):
                        TOp.Invoke(ad.AsSpan(ao, inner), bd.AsSpan(bo, inner), d);
                        break;
                    case (1, 0):
                        TOp.Invoke(ad.AsSpan(ao, inner), bd[bo], d);
                        break;
                    case (0, 1):
                        TOp.Invoke(ad[ao], bd.AsSpan(bo, inner), d);
                        break;
                    default:
                        d.Fill(TOp.Invoke(ad[ao], bd[bo]));
                        break;
                }
            }
        });
        return result;
    }

    public static Tensor Unary<TOp>(Tensor x)
        where TOp : struct, IUnaryOperator
    {
        var r = Tensor.Empty(x.ShapeArray);
        var xd = x.Storage;
        var rd = r.Storage;
        Parallelism.For(x.Count, Grain, (s, e) => TOp.Invoke(xd.AsSpan(s, e - s), rd.AsSpan(s, e - s)));
        return r;
    }

    public static Tensor Map(Tensor x, Func<float, float> f)
    {
        var r = Tensor.Empty(x.ShapeArray);
        var xd = x.Storage;
        var rd = r.Storage;
        Parallelism.For(x.Count, Grain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                rd[i] = f(xd[i]);
            }
        });
        return r;
    }

    /// <summary><paramref name="target"/> += <paramref name="source"/> (same shape), without autograd.</summary>
    public static void AddInPlace(Tensor target, Tensor source)
    {
        var t = target.Storage;
        var s = source.Storage;
        Parallelism.For(target.Count, Grain, (a, e) => TensorPrimitives.Add(t.AsSpan(a, e - a), s.AsSpan(a, e - a), t.AsSpan(a, e - a)));
    }

    /// <summary>Copies <paramref name="src"/> broadcast to <paramref name="shape"/>.</summary>
    public static Tensor BroadcastTo(Tensor src, int[] shape)
    {
        var result = Tensor.Empty(shape);
        var dst = result.Storage;
        var sd = src.Storage;
        if (src.Count == 1)
        {
            dst.AsSpan(0, result.Count).Fill(sd[0]);
            return result;
        }

        var zero = new int[shape.Length];
        var plan = BroadcastPlan.Create(shape, ShapeUtil.BroadcastStrides(src.Shape, shape), zero);
        int inner = plan.InnerLength;
        int rows = result.Count / Math.Max(1, inner);
        Parallelism.For(rows, Math.Max(1, Grain / Math.Max(1, inner)), (s, e) =>
        {
            for (int row = s; row < e; row++)
            {
                plan.Offsets(row, out int so, out _);
                var d = dst.AsSpan(row * inner, inner);
                if (plan.InnerStrideA == 1)
                {
                    sd.AsSpan(so, inner).CopyTo(d);
                }
                else
                {
                    d.Fill(sd[so]);
                }
            }
        });
        return result;
    }
}

/// <summary>
/// Iteration plan over a broadcast: dimensions merged where both operands stay contiguous (or stay broadcast), so
/// the innermost run is as long as possible and has stride 0 or 1 in each operand.
/// </summary>
internal sealed class BroadcastPlan
{
    private readonly int[] _outerShape;
    private readonly int[] _outerStrideA;
    private readonly int[] _outerStrideB;

    private BroadcastPlan(int[] outerShape, int[] sa, int[] sb, int inner, int innerA, int innerB)
    {
        _outerShape = outerShape;
        _outerStrideA = sa;
        _outerStrideB = sb;
        InnerLength = inner;
        InnerStrideA = innerA;
        InnerStrideB = innerB;
    }

    public int InnerLength { get; }

    public int InnerStrideA { get; }

    public int InnerStrideB { get; }

    public static BroadcastPlan Create(int[] shape, int[] stridesA, int[] stridesB)
    {
        var dims = new List<(int Size, int A, int B)>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] != 1)
            {
                dims.Add((shape[i], stridesA[i], stridesB[i]));
            }
        }

        if (dims.Count == 0)
        {
            return new BroadcastPlan([], [], [], 1, 0, 0);
        }

        // Merge dim i into i+1 when, for both operands, stride[i] == size[i+1] * stride[i+1].
        var merged = new List<(int Size, int A, int B)> { dims[^1] };
        for (int i = dims.Count - 2; i >= 0; i--)
        {
            var inner = merged[0];
            var d = dims[i];
            if (d.A == inner.Size * inner.A && d.B == inner.Size * inner.B)
            {
                merged[0] = (inner.Size * d.Size, inner.A, inner.B);
            }
            else
            {
                merged.Insert(0, d);
            }
        }

        var last = merged[^1];
        if ((last.A > 1) || (last.B > 1))
        {
            // The innermost run is strided: iterate it element by element as an outer dim of length-1 runs.
            merged.Add((1, 0, 0));
            last = merged[^1];
        }

        int outerCount = merged.Count - 1;
        var outerShape = new int[outerCount];
        var sa = new int[outerCount];
        var sb = new int[outerCount];
        for (int i = 0; i < outerCount; i++)
        {
            (outerShape[i], sa[i], sb[i]) = merged[i];
        }

        return new BroadcastPlan(outerShape, sa, sb, last.Size, last.A, last.B);
    }

    /// <summary>The operand offsets of the start of inner run number <paramref name="row"/>.</summary>
    public void Offsets(int row, out int offsetA, out int offsetB)
    {
        int oa = 0, ob = 0;
        for (int i = _outerShape.Length - 1; i >= 0; i--)
        {
            int size = _outerShape[i];
            int idx = row % size;
            row /= size;
            oa += idx * _outerStrideA[i];
            ob += idx * _outerStrideB[i];
        }

        offsetA = oa;
        offsetB = ob;
    }
}

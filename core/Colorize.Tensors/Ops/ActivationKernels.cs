using System.Numerics;

namespace Colorize.Tensors.Ops;

/// <summary>Fused SIMD kernels for the activations and their gradients (one pass instead of mask-then-multiply).</summary>
internal static class ActivationKernels
{
    /// <summary>y = x &gt; 0 ? x : slope·x (NaN stays NaN).</summary>
    public static Tensor LeakyRelu(Tensor x, float slope)
    {
        var y = Tensor.Empty(x.ShapeArray);
        var (xd, yd) = (x.Storage, y.Storage);
        Parallelism.For(x.Count, Elementwise.Grain, (s, e) =>
        {
            var xs = xd.AsSpan(s, e - s);
            var ys = yd.AsSpan(s, e - s);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vs = new Vector<float>(slope);
                for (; i <= xs.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var v = new Vector<float>(xs[i..]);
                    Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * vs).CopyTo(ys[i..]);
                }
            }

            for (; i < xs.Length; i++)
            {
                ys[i] = xs[i] > 0 ? xs[i] : xs[i] * slope;
            }
        });
        return y;
    }

    /// <summary>dx = x &gt; 0 ? g : slope·g, with x the activation's input (or its output for ReLU: same sign).</summary>
    public static Tensor LeakyReluBackward(Tensor g, Tensor x, float slope)
    {
        var dx = Tensor.Empty(g.ShapeArray);
        var (gd, xd, dd) = (g.Storage, x.Storage, dx.Storage);
        Parallelism.For(g.Count, Elementwise.Grain, (s, e) =>
        {
            var gs = gd.AsSpan(s, e - s);
            var xs = xd.AsSpan(s, e - s);
            var ds = dd.AsSpan(s, e - s);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vs = new Vector<float>(slope);
                for (; i <= gs.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var vg = new Vector<float>(gs[i..]);
                    var vx = new Vector<float>(xs[i..]);
                    Vector.ConditionalSelect(Vector.GreaterThan(vx, Vector<float>.Zero), vg, vg * vs).CopyTo(ds[i..]);
                }
            }

            for (; i < gs.Length; i++)
            {
                ds[i] = xs[i] > 0 ? gs[i] : gs[i] * slope;
            }
        });
        return dx;
    }

    /// <summary>y = x·scale[c] + shift[c] over the channels (dim 1) of an [N, C, ...] tensor.</summary>
    public static Tensor ChannelAffine(Tensor x, float[] scale, float[] shift)
    {
        int n = x.Shape[0], c = x.Shape[1];
        int s = x.Count / Math.Max(1, n * c);
        var y = Tensor.Empty(x.ShapeArray);
        var (xd, yd) = (x.Storage, y.Storage);
        Parallelism.For(n * c, Math.Max(1, Elementwise.Grain / Math.Max(1, s)), (p0, p1) =>
        {
            for (int plane = p0; plane < p1; plane++)
            {
                int ch = plane % c;
                var xs = xd.AsSpan(plane * s, s);
                var ys = yd.AsSpan(plane * s, s);
                float sc = scale[ch], sh = shift[ch];
                int i = 0;
                if (Vector.IsHardwareAccelerated)
                {
                    var vsc = new Vector<float>(sc);
                    var vsh = new Vector<float>(sh);
                    for (; i <= xs.Length - Vector<float>.Count; i += Vector<float>.Count)
                    {
                        ((new Vector<float>(xs[i..]) * vsc) + vsh).CopyTo(ys[i..]);
                    }
                }

                for (; i < xs.Length; i++)
                {
                    ys[i] = (xs[i] * sc) + sh;
                }
            }
        });
        return y;
    }
}

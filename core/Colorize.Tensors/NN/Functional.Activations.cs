using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.NN;

public static partial class Functional
{
    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>Leaky ReLU with the given negative slope.</summary>
    public static Tensor LeakyRelu(Tensor input, float negativeSlope = 0.01f) => input.LeakyRelu(negativeSlope);

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>Logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>y = x·Wᵀ + b for x[..., in], W[out, in], b[out].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || input.Rank < 1 || input.Shape[^1] != weight.Shape[1])
        {
            throw new ArgumentException($"Linear: input {ShapeUtil.Format(input.Shape)} does not fit weight {ShapeUtil.Format(weight.Shape)}.");
        }

        var lead = input.GetShape()[..^1];
        var x2 = input.Reshape(-1, weight.Shape[1]);
        var y = Tensor.MatMulCore(x2, weight, false, true);
        if (bias is not null)
        {
            y += bias;
        }

        return y.Reshape([.. lead, weight.Shape[0]]);
    }

    /// <summary>
    /// relu(cat(<paramref name="tensors"/>, <paramref name="dim"/>)): without autograd in one pass (the ReLU applied as
    /// the parts are copied), with it the two ops; the bits are the same either way.
    /// </summary>
    /// <param name="tensors">Tensors of equal shape outside <paramref name="dim"/>.</param>
    /// <param name="dim">The dimension to concatenate along.</param>
    public static Tensor CatRelu(IReadOnlyList<Tensor> tensors, int dim) => Tensor.Cat(tensors, dim, relu: true);

    /// <summary>Softmax along <paramref name="dim"/>, computed stably (max subtracted).</summary>
    public static Tensor Softmax(Tensor input, int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, input.Rank);
        var (outer, n, inner) = ReductionKernels.Split(input.Shape, d);
        var y = Tensor.Empty(input.ShapeArray);
        var (xd, yd) = (input.Storage, y.Storage);
        if (inner > 1)
        {
            SoftmaxStrided(xd, yd, outer, n, inner);
        }
        else
        {
            SoftmaxContiguous(xd, yd, outer, n, inner);
        }

        if (GradMode.ShouldRecord(input))
        {
            Node.Record(y, "SoftmaxBackward0", [input], (g, _) => [y * (g - (g * y).Sum([d], keepDim: true))]);
        }

        return y;
    }

    /// <summary>Softmax along a dimension of stride <paramref name="inner"/> &gt; 1 (self-attention's dim 1).</summary>
    /// <remarks>
    /// Walking one column at a time would touch a new cache line (and, for inner ≥ 1024, a new page) for every
    /// element, three times over. Instead a block of adjacent columns is processed row by row with per-column
    /// running maxima and sums; every element still gets the same operations in the same order as in
    /// <see cref="SoftmaxContiguous"/>, so the bits are the same.
    /// </remarks>
    private static void SoftmaxStrided(float[] xd, float[] yd, int outer, int n, int inner)
    {
        const int Block = 256;
        int blocks = (inner + Block - 1) / Block;
        Parallelism.For(outer * blocks, Math.Max(1, Elementwise.Grain / Math.Max(1, n * Math.Min(Block, inner))), (s, e) =>
        {
            Span<float> max = stackalloc float[Block];
            Span<float> sum = stackalloc float[Block];
            for (int job = s; job < e; job++)
            {
                int o = job / blocks, i0 = job % blocks * Block, len = Math.Min(Block, inner - i0);
                int baseIdx = (o * n * inner) + i0;
                var m = max[..len];
                var z = sum[..len];
                m.Fill(float.NegativeInfinity);
                for (int r = 0; r < n; r++)
                {
                    var row = xd.AsSpan(baseIdx + (r * inner), len);
                    for (int i = 0; i < len; i++)
                    {
                        m[i] = Math.Max(m[i], row[i]);
                    }
                }

                z.Clear();
                for (int r = 0; r < n; r++)
                {
                    var row = xd.AsSpan(baseIdx + (r * inner), len);
                    var outRow = yd.AsSpan(baseIdx + (r * inner), len);
                    for (int i = 0; i < len; i++)
                    {
                        float ev = MathF.Exp(row[i] - m[i]);
                        outRow[i] = ev;
                        z[i] += ev;
                    }
                }

                for (int i = 0; i < len; i++)
                {
                    z[i] = 1f / z[i];
                }

                for (int r = 0; r < n; r++)
                {
                    var outRow = yd.AsSpan(baseIdx + (r * inner), len);
                    for (int i = 0; i < len; i++)
                    {
                        outRow[i] *= z[i];
                    }
                }
            }
        });
    }

    private static void SoftmaxContiguous(float[] xd, float[] yd, int outer, int n, int inner)
    {
        Parallelism.For(outer * inner, Math.Max(1, Elementwise.Grain / Math.Max(1, n)), (s, e) =>
        {
            for (int job = s; job < e; job++)
            {
                int o = job / inner, i = job % inner;
                int baseIdx = (o * n * inner) + i;
                float max = float.NegativeInfinity;
                for (int r = 0; r < n; r++)
                {
                    max = Math.Max(max, xd[baseIdx + (r * inner)]);
                }

                float sum = 0;
                for (int r = 0; r < n; r++)
                {
                    float ev = MathF.Exp(xd[baseIdx + (r * inner)] - max);
                    yd[baseIdx + (r * inner)] = ev;
                    sum += ev;
                }

                float inv = 1f / sum;
                for (int r = 0; r < n; r++)
                {
                    yd[baseIdx + (r * inner)] *= inv;
                }
            }
        });
    }

    /// <summary>
    /// Inverted dropout: zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1 − p);
    /// identity when not training. The mask comes from <paramref name="generator"/>, so runs are reproducible.
    /// </summary>
    public static Tensor Dropout(Tensor input, float p, bool training, Generator generator)
    {
        if (p < 0 || p > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Dropout probability must be in [0, 1].");
        }

        if (!training || p == 0)
        {
            return input;
        }

        var mask = Tensor.Empty(input.ShapeArray);
        var md = mask.Data;
        float scale = p == 1 ? 0f : 1f / (1f - p);
        for (int i = 0; i < md.Length; i++)
        {
            md[i] = generator.NextFloat() >= p ? scale : 0f;
        }

        return input * mask;
    }

    /// <summary>
    /// Channel dropout (<c>F.dropout2d</c>): zeroes whole [H, W] planes of an [N, C, H, W] tensor with probability
    /// <paramref name="p"/> and scales the kept planes by 1/(1 − p); identity when not training.
    /// </summary>
    public static Tensor Dropout2d(Tensor input, float p, bool training, Generator generator)
    {
        if (p < 0 || p > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Dropout probability must be in [0, 1].");
        }

        if (!training || p == 0)
        {
            return input;
        }

        if (input.Rank != 4)
        {
            throw new ArgumentException($"Dropout2d needs an [N, C, H, W] input, got {ShapeUtil.Format(input.Shape)}.");
        }

        var mask = Tensor.Empty(input.Shape[0], input.Shape[1], 1, 1);
        var md = mask.Data;
        float scale = p == 1 ? 0f : 1f / (1f - p);
        for (int i = 0; i < md.Length; i++)
        {
            md[i] = generator.NextFloat() >= p ? scale : 0f;
        }

        return input * mask;
    }
}

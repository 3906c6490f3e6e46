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

    /// <summary>Softmax along <paramref name="dim"/>, computed stably (max subtracted).</summary>
    public static Tensor Softmax(Tensor input, int dim)
    {
        int d = ShapeUtil.NormalizeDim(dim, input.Rank);
        var (outer, n, inner) = ReductionKernels.Split(input.Shape, d);
        var y = Tensor.Empty(input.ShapeArray);
        var (xd, yd) = (input.Storage, y.Storage);
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

        if (GradMode.ShouldRecord(input))
        {
            Node.Record(y, "SoftmaxBackward0", [input], (g, _) => [y * (g - (g * y).Sum([d], keepDim: true))]);
        }

        return y;
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

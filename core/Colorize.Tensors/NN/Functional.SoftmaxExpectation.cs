using Colorize.Tensors.Autograd;
using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.NN;

public static partial class Functional
{
    /// <summary>
    /// The expectation of <paramref name="values"/> under softmax(<paramref name="scale"/> · conv1x1(input, weight, bias))
    /// over the channels: <c>Conv2d(Softmax(Conv2d(input, weight, bias).Mul(scale), 1), values)</c>, the annealed mean of
    /// a classification head. When autograd records (grad mode on and an input requiring grad) it is exactly those ops.
    /// Otherwise it runs fused a tile of positions at a time (<c>SoftmaxExpectationKernel</c>): the Q channels of logits
    /// and probabilities never exist over the whole image, only Q × 256 floats per thread; the result equals the ops'
    /// within float rounding (exp and the order of the sums differ) and has the same bits for any thread count.
    /// </summary>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="weight">[Q, C, 1, 1]: the 1×1 convolution to the Q logits.</param>
    /// <param name="bias">[Q], or null.</param>
    /// <param name="scale">Multiplies the logits before the softmax (1/T for temperature T).</param>
    /// <param name="values">[V, Q, 1, 1]: what is averaged, one row of Q per output channel.</param>
    /// <returns>[N, V, H, W].</returns>
    public static Tensor SoftmaxExpectation(Tensor input, Tensor weight, Tensor? bias, float scale, Tensor values)
    {
        if (input.Rank != 4 || weight.Rank != 4 || weight.Shape[2] != 1 || weight.Shape[3] != 1 || weight.Shape[1] != input.Shape[1])
        {
            throw new ArgumentException($"The softmax expectation needs an N×C×H×W input and Q×C×1×1 weights, got {ShapeUtil.Format(input.Shape)} and {ShapeUtil.Format(weight.Shape)}.");
        }

        int classes = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != classes))
        {
            throw new ArgumentException($"Bias of shape {ShapeUtil.Format(bias.Shape)} does not fit {classes} classes.", nameof(bias));
        }

        if (values.Rank != 4 || values.Shape[1] != classes || values.Shape[2] != 1 || values.Shape[3] != 1)
        {
            throw new ArgumentException($"The values must be V×{classes}×1×1, got {ShapeUtil.Format(values.Shape)}.", nameof(values));
        }

        bool record = GradMode.IsEnabled && (input.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true } || values.RequiresGrad);
        if (record)
        {
            return Conv2d(Softmax(Conv2d(input, weight, bias).Mul(scale), 1), values);
        }

        ExecutionScope.Checkpoint();
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3], outputs = values.Shape[0];
        var y = Tensor.Empty(n, outputs, h, w);
        SoftmaxExpectationKernel.Forward(
            input.Data, weight.Data, bias is null ? [] : bias.Data, scale, values.Data, n, c, classes, outputs, h * w, y.Data, TensorOptions.NumThreads);
        return y;
    }
}

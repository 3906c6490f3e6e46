using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.NN;

/// <summary>
/// Stateless neural-network operations with PyTorch's <c>torch.nn.functional</c> semantics.
/// </summary>
public static partial class Functional
{
    /// <summary>2-D convolution of x[N, Cin, H, W] with weight[Cout, Cin/groups, kh, kw] and optional bias[Cout].</summary>
    /// <param name="input">The input batch.</param>
    /// <param name="weight">The filters.</param>
    /// <param name="bias">Optional per-output-channel bias.</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Zero padding (height, width).</param>
    /// <param name="dilation">Dilation (height, width).</param>
    /// <param name="groups">Number of channel groups.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null, int groups = 1)
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        var geo = new ConvGeometry(s.H, s.W, p.H, p.W, d.H, d.W, groups);
        geo.Validate();
        CheckConvShapes(input, weight, groups, transposed: false);
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
        {
            throw new ArgumentException($"Bias of shape {ShapeUtil.Format(bias.Shape)} does not fit {weight.Shape[0]} output channels.");
        }

        return ConvOps.Forward(input, weight, bias, geo);
    }

    /// <summary>
    /// relu(conv2d(input, weight) + bias + addend), or relu(conv2d(input, weight) + bias) + addend when
    /// <paramref name="addendAfterRelu"/>: without autograd in one pass over the output (see
    /// <see cref="Kernels.ConvEpilogue"/>), with it the separate ops; the bits are the same either way.
    /// </summary>
    internal static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups, Tensor? addend, bool relu, bool addendAfterRelu = false)
    {
        var geo = new ConvGeometry(stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
        geo.Validate();
        CheckConvShapes(input, weight, groups, transposed: false);
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
        {
            throw new ArgumentException($"Bias of shape {ShapeUtil.Format(bias.Shape)} does not fit {weight.Shape[0]} output channels.");
        }

        return ConvOps.Forward(input, weight, bias, geo, addend, relu, addendAfterRelu);
    }

    /// <summary>2-D convolution with the same stride, padding and dilation on both axes.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>
    /// Transposed 2-D convolution of x[N, Cin, H, W] with weight[Cin, Cout/groups, kh, kw], the gradient of conv2d
    /// with respect to its input; <paramref name="outputPadding"/> adds rows/columns on one side as in PyTorch.
    /// </summary>
    /// <param name="input">The input batch.</param>
    /// <param name="weight">The filters, laid out [Cin, Cout/groups, kh, kw] as in PyTorch.</param>
    /// <param name="bias">Optional per-output-channel bias.</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Padding removed from the output (height, width).</param>
    /// <param name="outputPadding">Extra size added to one side of the output (height, width).</param>
    /// <param name="groups">Number of channel groups.</param>
    /// <param name="dilation">Dilation (height, width).</param>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? outputPadding = null,
        int groups = 1, (int H, int W)? dilation = null)
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var op = outputPadding ?? (0, 0);
        var d = dilation ?? (1, 1);
        var geo = new ConvGeometry(s.H, s.W, p.H, p.W, d.H, d.W, groups);
        geo.Validate();
        if (op.H < 0 || op.W < 0 || (op.H >= s.H && op.H >= d.H) || (op.W >= s.W && op.W >= d.W))
        {
            throw new ArgumentException("output_padding must be smaller than either stride or dilation.");
        }

        CheckConvShapes(input, weight, groups, transposed: true);
        int n = input.Shape[0], h = input.Shape[2], w = input.Shape[3];
        int kh = weight.Shape[2], kw = weight.Shape[3];
        int outH = ((h - 1) * s.H) - (2 * p.H) + (d.H * (kh - 1)) + op.H + 1;
        int outW = ((w - 1) * s.W) - (2 * p.W) + (d.W * (kw - 1)) + op.W + 1;
        if (outH <= 0 || outW <= 0)
        {
            throw new ArgumentException($"ConvTranspose2d output size {outH}×{outW} is not positive.");
        }

        int cout = weight.Shape[1] * groups;
        var output = ConvOps.BackwardInput(input, weight, [n, cout, outH, outW], geo);
        return bias is null ? output : AddChannelBias(output, bias);
    }

    /// <summary>Transposed convolution with the same settings on both axes.</summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding = 0, int outputPadding = 0, int groups = 1, int dilation = 1) =>
        ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, (dilation, dilation));

    /// <summary>x + bias[C] broadcast over N, H, W.</summary>
    internal static Tensor AddChannelBias(Tensor x, Tensor bias)
    {
        if (bias.Rank != 1 || bias.Shape[0] != x.Shape[1])
        {
            throw new ArgumentException($"Bias of shape {ShapeUtil.Format(bias.Shape)} does not fit {x.Shape[1]} channels.");
        }

        var shape = new int[x.Rank];
        Array.Fill(shape, 1);
        shape[1] = bias.Shape[0];
        return x + bias.Reshape(shape);
    }

    private static void CheckConvShapes(Tensor input, Tensor weight, int groups, bool transposed)
    {
        if (input.Rank != 4 || weight.Rank != 4)
        {
            throw new ArgumentException($"Convolution needs a 4-D input and weight, got {ShapeUtil.Format(input.Shape)} and {ShapeUtil.Format(weight.Shape)}.");
        }

        int cin = input.Shape[1];
        bool ok = transposed
            ? weight.Shape[0] == cin && cin % groups == 0
            : weight.Shape[1] * groups == cin && weight.Shape[0] % groups == 0;
        if (!ok)
        {
            throw new ArgumentException($"Weight {ShapeUtil.Format(weight.Shape)} does not fit input {ShapeUtil.Format(input.Shape)} with {groups} group(s).");
        }
    }
}

/// <summary>
/// The three convolution ops. Each one's gradients are expressed with the other two, so the set is closed under
/// differentiation and double backward (WGAN-GP's gradient penalty) is exact.
/// </summary>
internal static class ConvOps
{
    public static Tensor Forward(Tensor x, Tensor w, ConvGeometry geo) => Forward(x, w, null, geo);

    /// <summary>Convolution with the bias added inside the kernel (one pass over the output instead of two).</summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? bias, ConvGeometry geo)
    {
        int ho = geo.OutputSize(x.Shape[2], w.Shape[2], height: true);
        int wo = geo.OutputSize(x.Shape[3], w.Shape[3], height: false);
        if (ho <= 0 || wo <= 0)
        {
            throw new ArgumentException($"Convolution output size {ho}×{wo} is not positive for input {ShapeUtil.Format(x.Shape)} and kernel {w.Shape[2]}×{w.Shape[3]}.");
        }

        ExecutionScope.Checkpoint();
        var y = Tensor.Empty(x.Shape[0], w.Shape[0], ho, wo);
        ConvBridge.Forward(x.Storage, x.ShapeArray, w.Storage, w.ShapeArray, bias?.Storage, y.Storage, y.ShapeArray, geo);
        if (bias is null ? GradMode.ShouldRecord(x, w) : GradMode.ShouldRecord([x, w, bias]))
        {
            Tensor[] inputs = bias is null ? [x, w] : [x, w, bias];
            Node.Record(y, "ConvolutionBackward0", inputs, (g, need) =>
                bias is null
                    ? [need[0] ? BackwardInput(g, w, x.ShapeArray, geo) : null, need[1] ? BackwardWeight(x, g, w.ShapeArray, geo) : null]
                    : [need[0] ? BackwardInput(g, w, x.ShapeArray, geo) : null, need[1] ? BackwardWeight(x, g, w.ShapeArray, geo) : null, need[2] ? g.Sum([0, 2, 3]) : null]);
        }

        return y;
    }

    /// <summary>
    /// relu(conv(x, w) + bias + addend) (the addend after the ReLU if <paramref name="addendAfterRelu"/>), the addend and
    /// ReLU fused into the kernel when nothing is recorded.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? bias, ConvGeometry geo, Tensor? addend, bool relu, bool addendAfterRelu = false)
    {
        bool record = GradMode.IsEnabled && (x.RequiresGrad || w.RequiresGrad || bias is { RequiresGrad: true } || addend is { RequiresGrad: true });
        if (record)
        {
            var sum = Forward(x, w, bias, geo);
            sum = addend is null || addendAfterRelu ? sum : sum + addend;
            sum = relu ? sum.Relu() : sum;
            return addend is null || !addendAfterRelu ? sum : sum + addend;
        }

        int ho = geo.OutputSize(x.Shape[2], w.Shape[2], height: true);
        int wo = geo.OutputSize(x.Shape[3], w.Shape[3], height: false);
        if (ho <= 0 || wo <= 0)
        {
            throw new ArgumentException($"Convolution output size {ho}×{wo} is not positive for input {ShapeUtil.Format(x.Shape)} and kernel {w.Shape[2]}×{w.Shape[3]}.");
        }

        int[] shape = [x.Shape[0], w.Shape[0], ho, wo];
        if (addend is not null && !addend.Shape.SequenceEqual(shape))
        {
            throw new ArgumentException($"The addend's shape {ShapeUtil.Format(addend.Shape)} is not the convolution's output shape {ShapeUtil.Format(shape)}.");
        }

        ExecutionScope.Checkpoint();
        var y = Tensor.Empty(shape);
        ConvBridge.Forward(x.Storage, x.ShapeArray, w.Storage, w.ShapeArray, bias?.Storage, y.Storage, y.ShapeArray, geo, addend?.Storage, relu, addendAfterRelu);
        return y;
    }

    public static Tensor BackwardInput(Tensor dy, Tensor w, int[] inputShape, ConvGeometry geo)
    {
        ExecutionScope.Checkpoint();
        var dx = Tensor.Empty(inputShape);
        ConvBridge.BackwardInput(dy.Storage, dy.ShapeArray, w.Storage, w.ShapeArray, dx.Storage, inputShape, geo);
        if (GradMode.ShouldRecord(dy, w))
        {
            Node.Record(dx, "ConvolutionBackwardInput", [dy, w], (h, need) =>
                [need[0] ? Forward(h, w, geo) : null, need[1] ? BackwardWeight(h, dy, w.ShapeArray, geo) : null]);
        }

        return dx;
    }

    public static Tensor BackwardWeight(Tensor x, Tensor dy, int[] weightShape, ConvGeometry geo)
    {
        var dw = Tensor.Empty(weightShape);
        ConvBridge.BackwardWeight(x.Storage, x.ShapeArray, dy.Storage, dy.ShapeArray, dw.Storage, weightShape, geo);
        if (GradMode.ShouldRecord(x, dy))
        {
            Node.Record(dw, "ConvolutionBackwardWeight", [x, dy], (h, need) =>
                [need[0] ? BackwardInput(dy, h, x.ShapeArray, geo) : null, need[1] ? Forward(x, h, geo) : null]);
        }

        return dw;
    }
}

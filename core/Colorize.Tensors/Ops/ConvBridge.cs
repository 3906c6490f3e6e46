using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Ops;

/// <summary>
/// The convolution kernels the ops call (NCHW, PyTorch semantics): forward, gradient with respect to the input and
/// gradient with respect to the weight, through the packed im2col/GEMM kernels of <see cref="Convolution"/>.
/// </summary>
internal static class ConvBridge
{
    /// <summary>
    /// y[N, Cout, Ho, Wo] = conv(x[N, Cin, H, W], w[Cout, Cin/g, kh, kw]) (+ bias) (+ addend), then ReLU if asked (the
    /// addend after it if <paramref name="addendAfterRelu"/>), in one pass over y (see <see cref="ConvEpilogue"/>).
    /// </summary>
    public static unsafe void Forward(float[] x, int[] xs, float[] w, int[] ws, float[]? bias, float[] y, int[] ys, ConvGeometry geo, float[]? addend = null, bool relu = false, bool addendAfterRelu = false)
    {
        var shape = Shape(xs, ws, geo);
        if (bias is not null && bias.Length < ws[0])
        {
            throw new ArgumentException($"The bias holds {bias.Length} values for {ws[0]} output channels.", nameof(bias));
        }

        if (addend is not null && addend.Length < shape.OutputLength)
        {
            throw new ArgumentException($"The addend holds {addend.Length} values for an output of {shape.OutputLength}.", nameof(addend));
        }

        fixed (float* pb = bias)
        fixed (float* pa = addend)
        {
            Convolution.Conv2dForward(shape, x.AsSpan(0, (int)shape.InputLength), w.AsSpan(0, (int)shape.WeightLength),
                y.AsSpan(0, (int)shape.OutputLength), TensorOptions.NumThreads, new ConvEpilogue(pb, pa, relu, addendAfterRelu));
        }
    }

    /// <summary>dx[N, Cin, H, W] from dy and w (the transposed convolution).</summary>
    public static void BackwardInput(float[] dy, int[] ys, float[] w, int[] ws, float[] dx, int[] xs, ConvGeometry geo)
    {
        var shape = Shape(xs, ws, geo);
        Convolution.Conv2dBackwardInput(shape, dy.AsSpan(0, (int)shape.OutputLength), w.AsSpan(0, (int)shape.WeightLength),
            dx.AsSpan(0, (int)shape.InputLength), TensorOptions.NumThreads);
    }

    /// <summary>dw[Cout, Cin/g, kh, kw] from x and dy.</summary>
    public static void BackwardWeight(float[] x, int[] xs, float[] dy, int[] ys, float[] dw, int[] ws, ConvGeometry geo)
    {
        var shape = Shape(xs, ws, geo);
        Convolution.Conv2dBackwardWeight(shape, x.AsSpan(0, (int)shape.InputLength), dy.AsSpan(0, (int)shape.OutputLength),
            dw.AsSpan(0, (int)shape.WeightLength), default, TensorOptions.NumThreads);
    }

    private static Conv2dShape Shape(int[] xs, int[] ws, ConvGeometry geo) =>
        new(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], geo.StrideH, geo.StrideW, geo.PadH, geo.PadW, geo.DilationH, geo.DilationW, geo.Groups);
}

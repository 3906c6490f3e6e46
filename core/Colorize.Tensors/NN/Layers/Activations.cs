namespace Colorize.Tensors.NN;

/// <summary>max(x, 0) (<c>nn.ReLU</c>).</summary>
public sealed class ReLU : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>Leaky ReLU (<c>nn.LeakyReLU</c>).</summary>
/// <param name="negativeSlope">Slope for negative inputs.</param>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module<Tensor, Tensor>
{
    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);
}

/// <summary>Hyperbolic tangent (<c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Logistic sigmoid (<c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Inverted dropout (<c>nn.Dropout</c>), active in training mode only, with a reproducible mask.</summary>
/// <param name="p">Probability of zeroing an element.</param>
/// <param name="generator">Random source of the masks; <see cref="Generator.Default"/> when null.</param>
public sealed class Dropout(float p = 0.5f, Generator? generator = null) : Module<Tensor, Tensor>
{
    /// <summary>Probability of zeroing an element.</summary>
    public float P { get; } = p;

    /// <summary>The mask generator; replace it to control the stream (e.g. after restoring a checkpoint).</summary>
    public Generator? Generator { get; set; } = generator;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, Generator ?? Tensors.Generator.Default);
}

/// <summary>Channel dropout (<c>nn.Dropout2d</c>), used by DeOldify's critic.</summary>
/// <param name="p">Probability of zeroing a channel.</param>
/// <param name="generator">Random source of the masks; <see cref="Generator.Default"/> when null.</param>
public sealed class Dropout2d(float p = 0.5f, Generator? generator = null) : Module<Tensor, Tensor>
{
    /// <summary>Probability of zeroing a channel.</summary>
    public float P { get; } = p;

    /// <summary>The mask generator.</summary>
    public Generator? Generator { get; set; } = generator;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training, Generator ?? Tensors.Generator.Default);
}

/// <summary>2-D max pooling (<c>nn.MaxPool2d</c>).</summary>
/// <param name="kernelSize">Window size.</param>
/// <param name="stride">Step (defaults to the window size).</param>
/// <param name="padding">Padding on each side.</param>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, kernelSize, stride, padding);
}

/// <summary>2-D average pooling (<c>nn.AvgPool2d</c>).</summary>
/// <param name="kernelSize">Window size.</param>
/// <param name="stride">Step (defaults to the window size).</param>
/// <param name="padding">Padding on each side.</param>
/// <param name="countIncludePad">Whether padded zeros count in the divisor.</param>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, kernelSize, stride, padding, countIncludePad: countIncludePad);
}

/// <summary>Upsampling by a scale factor (<c>nn.Upsample</c>).</summary>
/// <param name="scaleFactor">Scale of height and width.</param>
/// <param name="mode">Nearest or bilinear.</param>
/// <param name="alignCorners">PyTorch's align_corners for bilinear.</param>
public sealed class Upsample(double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Interpolate(input, scaleFactor, mode, alignCorners);
}

/// <summary>Sub-pixel rearrangement (<c>nn.PixelShuffle</c>).</summary>
/// <param name="upscaleFactor">Upscale factor r.</param>
public sealed class PixelShuffle(int upscaleFactor) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.PixelShuffle(input, upscaleFactor);
}

/// <summary>Edge-replicating padding (<c>nn.ReplicationPad2d</c>), used by DeOldify's blur after pixel shuffle.</summary>
/// <param name="padding">(left, right, top, bottom).</param>
public sealed class ReplicationPad2d((int Left, int Right, int Top, int Bottom) padding) : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Pad(input, padding, PaddingMode.Replicate);
}

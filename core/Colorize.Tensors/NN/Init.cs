namespace Colorize.Tensors.NN;

/// <summary>Fan mode for Kaiming initialisation.</summary>
public enum FanMode
{
    /// <summary>Preserve the variance of the forward pass.</summary>
    FanIn,

    /// <summary>Preserve the variance of the backward pass.</summary>
    FanOut,
}

/// <summary>Weight initialisers with the formulas of <c>torch.nn.init</c>; all draw from a <see cref="Generator"/>.</summary>
public static class Init
{
    /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>²), e.g. pix2pix's N(0, 0.02).</summary>
    public static void Normal(Tensor tensor, float mean = 0f, float std = 1f, Generator? generator = null) =>
        (generator ?? Generator.Default).FillNormal(tensor.Data, mean, std);

    /// <summary>Fills with U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static void Uniform(Tensor tensor, float low = 0f, float high = 1f, Generator? generator = null) =>
        (generator ?? Generator.Default).FillUniform(tensor.Data, low, high);

    /// <summary>Fills with a constant.</summary>
    public static void Constant(Tensor tensor, float value) => tensor.Data.Fill(value);

    /// <summary>The recommended gain for a nonlinearity ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu").</summary>
    public static float CalculateGain(string nonlinearity, float param = 0.01f) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv_transpose2d" or "sigmoid" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1f + (param * param))),
        "selu" => 3f / 4f,
        _ => throw new ArgumentException($"Unknown nonlinearity '{nonlinearity}'."),
    };

    /// <summary>(fan_in, fan_out) as PyTorch computes them: size(1)·receptive field and size(0)·receptive field.</summary>
    public static (int FanIn, int FanOut) CalculateFans(Tensor tensor)
    {
        if (tensor.Rank < 2)
        {
            throw new ArgumentException("Fan in and fan out need a tensor with at least 2 dimensions.");
        }

        int receptive = 1;
        for (int i = 2; i < tensor.Rank; i++)
        {
            receptive *= tensor.Shape[i];
        }

        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }

    /// <summary>He/Kaiming normal: N(0, (gain/√fan)²).</summary>
    public static void KaimingNormal(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        float std = CalculateGain(nonlinearity, a) / MathF.Sqrt(mode == FanMode.FanIn ? fanIn : fanOut);
        Normal(tensor, 0f, std, generator);
    }

    /// <summary>He/Kaiming uniform: U(−b, b) with b = gain·√(3/fan).</summary>
    public static void KaimingUniform(Tensor tensor, float a = 0f, FanMode mode = FanMode.FanIn, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        float bound = CalculateGain(nonlinearity, a) * MathF.Sqrt(3f / (mode == FanMode.FanIn ? fanIn : fanOut));
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot/Xavier uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor tensor, float gain = 1f, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot/Xavier normal: N(0, gain²·2/(fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor tensor, float gain = 1f, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(tensor);
        Normal(tensor, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// ICNR (Aitken et al. 2017), as fastai's <c>icnr_init</c>: a conv that feeds PixelShuffle(<paramref name="scale"/>)
    /// starts as nearest-neighbour upsampling, which removes the checkerboard pattern at initialisation. The weight
    /// [C·scale², Cin, kh, kw] is filled with Kaiming-normal sub-kernels, each repeated for the scale² sub-pixels.
    /// </summary>
    public static void Icnr(Tensor weight, int scale = 2, Generator? generator = null)
    {
        int outChannels = weight.Shape[0], inChannels = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        int s2 = scale * scale;
        if (outChannels % s2 != 0)
        {
            throw new ArgumentException($"ICNR needs the output channels ({outChannels}) to be divisible by scale² ({s2}).");
        }

        var sub = Tensor.Zeros(outChannels / s2, inChannels, kh, kw);
        KaimingNormal(sub, generator: generator);
        var src = sub.Data;
        var dst = weight.Data;
        int kernel = inChannels * kh * kw;
        for (int o = 0; o < outChannels; o++)
        {
            // Output channel o = c·scale² + sub-pixel reads sub-kernel c, matching PixelShuffle's channel order.
            src.Slice((o / s2) * kernel, kernel).CopyTo(dst.Slice(o * kernel, kernel));
        }
    }
}

namespace Colorize.Tensors.NN;

/// <summary>2-D convolution layer (<c>nn.Conv2d</c>): parameters <c>weight</c> [Cout, Cin/groups, kh, kw] and optional <c>bias</c>.</summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with PyTorch's default initialisation (Kaiming uniform with a = √5).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    /// <summary>Creates the layer with separate height and width settings.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Channels ({inChannels} in, {outChannels} out) must be divisible by groups ({groups}).");
        }

        (InChannels, OutChannels, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, stride, padding, dilation, groups);
        var w = Tensor.Zeros(outChannels, inChannels / groups, kernelSize.H, kernelSize.W);
        Init.KaimingUniform(w, MathF.Sqrt(5f), generator: generator);
        RegisterParameter("weight", w);
        if (bias)
        {
            var b = Tensor.Zeros(outChannels);
            float bound = 1f / MathF.Sqrt(Init.CalculateFans(w).FanIn);
            Init.Uniform(b, -bound, bound, generator);
            RegisterParameter("bias", b);
        }
        else
        {
            RegisterParameter("bias", null);
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Stride (height, width).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding (height, width).</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Dilation (height, width).</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The weight used by forward (after any parametrisation such as spectral norm).</summary>
    public Tensor Weight => GetTensor("weight") ?? throw new InvalidOperationException("Conv2d has no weight.");

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => GetTensor("bias");

    /// <summary>
    /// Whether a ReLU follows the convolution inside this layer: set by <see cref="InferenceOptimizer.FuseReLU"/> when
    /// it removes the <see cref="ReLU"/> that followed the layer in a <see cref="Sequential"/>.
    /// </summary>
    public bool AppliesReLU { get; internal set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, AppliesReLU);

    /// <summary>
    /// relu(conv(input) + bias + addend) (the ReLU when <paramref name="relu"/> or <see cref="AppliesReLU"/>), through
    /// the hooks as <see cref="Module{TIn, TOut}.Call"/>. When nothing is recorded the addend and the ReLU are applied
    /// as the convolution writes its output, in one pass instead of three, with the bits of the separate ops.
    /// </summary>
    /// <param name="input">[N, Cin, H, W].</param>
    /// <param name="addend">A tensor of the output's shape (a residual shortcut), or null.</param>
    /// <param name="relu">Whether max(·, 0) follows the sum.</param>
    public Tensor Call(Tensor input, Tensor? addend, bool relu) => Call(input, addend, relu, addendAfterReLU: false);

    /// <summary>
    /// As <see cref="Call(Tensor, Tensor?, bool)"/>; with <paramref name="addendAfterReLU"/> the addend is added after
    /// the ReLU instead: relu(conv(input) + bias) + addend, a residual branch that ends in a ReLU added to its input.
    /// </summary>
    /// <param name="input">[N, Cin, H, W].</param>
    /// <param name="addend">A tensor of the output's shape, or null.</param>
    /// <param name="relu">Whether max(·, 0) is applied (besides <see cref="AppliesReLU"/>).</param>
    /// <param name="addendAfterReLU">Whether the addend comes after the ReLU.</param>
    public Tensor Call(Tensor input, Tensor? addend, bool relu, bool addendAfterReLU)
    {
        RunPreHooks();
        var output = Forward(input, addend, relu || AppliesReLU, addendAfterReLU);
        RunPostHooks();
        return output;
    }

    /// <summary>
    /// <see cref="Functional.SoftmaxExpectation"/> with this layer as the 1×1 convolution to the logits, through the
    /// hooks as <see cref="Module{TIn, TOut}.Call"/> (spectral norm's weight is computed first): what
    /// <c>Conv2d(Softmax(Call(input).Mul(scale), 1), values)</c> gives, without the logits' and probabilities' planes
    /// when nothing is recorded.
    /// </summary>
    /// <param name="input">[N, Cin, H, W].</param>
    /// <param name="scale">Multiplies the logits before the softmax.</param>
    /// <param name="values">[V, Cout, 1, 1].</param>
    /// <exception cref="InvalidOperationException">The layer is not a plain 1×1 convolution (stride 1, no padding, one group, no ReLU).</exception>
    public Tensor CallSoftmaxExpectation(Tensor input, float scale, Tensor values)
    {
        if (Stride != (1, 1) || Padding != (0, 0) || Dilation != (1, 1) || Groups != 1 || AppliesReLU)
        {
            throw new InvalidOperationException("The softmax expectation needs a plain 1×1 convolution (stride 1, no padding, one group, no ReLU).");
        }

        RunPreHooks();
        var output = Functional.SoftmaxExpectation(input, Weight, Bias, scale, values);
        RunPostHooks();
        return output;
    }

    private Tensor Forward(Tensor input, Tensor? addend, bool relu, bool addendAfterReLU = false) =>
        addend is null && !relu
            ? Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups)
            : Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, addend, relu, addendAfterReLU);
}

/// <summary>Transposed 2-D convolution layer (<c>nn.ConvTranspose2d</c>): <c>weight</c> [Cin, Cout/groups, kh, kw].</summary>
public sealed class ConvTranspose2d : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Channels ({inChannels} in, {outChannels} out) must be divisible by groups ({groups}).");
        }

        (InChannels, OutChannels, Stride, Padding, OutputPadding, Groups, Dilation) = (inChannels, outChannels, stride, padding, outputPadding, groups, dilation);
        var w = Tensor.Zeros(inChannels, outChannels / groups, kernelSize, kernelSize);
        Init.KaimingUniform(w, MathF.Sqrt(5f), generator: generator);
        RegisterParameter("weight", w);
        if (bias)
        {
            var b = Tensor.Zeros(outChannels);
            float bound = 1f / MathF.Sqrt(Init.CalculateFans(w).FanIn);
            Init.Uniform(b, -bound, bound, generator);
            RegisterParameter("bias", b);
        }
        else
        {
            RegisterParameter("bias", null);
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Padding removed from the output.</summary>
    public int Padding { get; }

    /// <summary>Extra output size on one side.</summary>
    public int OutputPadding { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>Dilation.</summary>
    public int Dilation { get; }

    /// <summary>The weight used by forward.</summary>
    public Tensor Weight => GetTensor("weight") ?? throw new InvalidOperationException("ConvTranspose2d has no weight.");

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => GetTensor("bias");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.ConvTranspose2d(input, Weight, Bias, (Stride, Stride), (Padding, Padding), (OutputPadding, OutputPadding), Groups, (Dilation, Dilation));
}

/// <summary>Fully connected layer (<c>nn.Linear</c>): <c>weight</c> [out, in], <c>bias</c> [out].</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        var w = Tensor.Zeros(outFeatures, inFeatures);
        Init.KaimingUniform(w, MathF.Sqrt(5f), generator: generator);
        RegisterParameter("weight", w);
        if (bias)
        {
            var b = Tensor.Zeros(outFeatures);
            float bound = 1f / MathF.Sqrt(inFeatures);
            Init.Uniform(b, -bound, bound, generator);
            RegisterParameter("bias", b);
        }
        else
        {
            RegisterParameter("bias", null);
        }
    }

    /// <summary>The weight used by forward.</summary>
    public Tensor Weight => GetTensor("weight") ?? throw new InvalidOperationException("Linear has no weight.");

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => GetTensor("bias");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);
}

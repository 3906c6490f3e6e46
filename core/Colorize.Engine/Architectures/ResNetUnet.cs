using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Colorize.Tensors;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// The U-Net with a ResNet encoder of seeds 000 and 004 (DeOldify / Shariatnia), predicting Lab ab from L.
/// </summary>
/// <remarks>
/// Encoder: a torchvision-layout ResNet18 or ResNet34 (<c>encoder.conv1</c>, <c>encoder.layer1.0.conv1</c>, …) taking
/// one channel, with features at 1/2, 1/4, 1/8, 1/16 and 1/32 of the input. Middle: BatchNorm + ReLU, then two 3×3
/// convs (512→1024→512). Decoder: four blocks, each upsampling with DeOldify's PixelShuffle_ICNR (1×1 conv to 4× the
/// channels, ICNR init, ReLU, PixelShuffle(2), blur = replication pad (1,0,1,0) + 2×2 average pool stride 1),
/// concatenating the BatchNorm'd skip feature, ReLU, and two 3×3 convs + ReLU; the block at 1/8 resolution ends with
/// SAGAN self-attention. A last PixelShuffle_ICNR reaches full resolution, the input L is concatenated, a residual
/// block of two 3×3 convs follows, and a 1×1 conv with tanh gives ab (or, with <c>abHead</c> "classes", one logit per ab bin
/// decoded by <see cref="AbClassHead"/>: ResNetUnet.Classes.cs). Decoder and tanh-head convs are spectral-normalised when
/// <c>spectralNorm</c> is on (DeOldify's NormType.Spectral); the class head's conv never is, because a unit spectral
/// norm caps its logits' spread at the size of its input features, too flat a softmax over hundreds of bins (Zhang et
/// al.'s head is a plain convolution). The input side must be divisible by 32.
/// <para>
/// With <c>hints</c> (colour hints, Zhang et al. 2017's local hints input) the input has four channels: L, the hint
/// plane's a and b (ab/110, 0 where no hint) and a mask (1 where hinted). L alone takes L's usual path; the three hint
/// planes enter through two zero-initialised convolutions (weights and biases), so that before fine-tuning the network
/// computes exactly what the automatic one does: <c>hint_input</c> (3→64, 7×7, stride 2, the shape of the encoder's
/// conv1) is added to conv1's output before bn1, so hints reach every scale of the encoder and the skips; and
/// <c>hint_head</c> (3×3, 3→the residual block's channels) is added to the final residual block's input at full
/// resolution, so a hint lands where it was put. Neither is spectral-normalised: the norm of a zero weight is 0 and
/// spectral normalisation would divide by it.
/// </para>
/// </remarks>
public sealed partial class ResNetUnet : Module<Tensor, Tensor>
{
    private readonly ResNetEncoder _encoder;
    private readonly Sequential _middle;
    private readonly ModuleList<UnetUpBlock> _decoder;
    private readonly PixelShuffleIcnr _finalShuffle;
    private readonly Sequential _residual;
    private readonly Conv2d _head;
    private readonly bool _imageNetInput;
    private readonly Conv2d? _hintInput;
    private readonly Conv2d? _hintHead;
    private readonly AbClassHead? _classes;
    private readonly GlobalContext? _globalContext;

    /// <summary>Creates the network.</summary>
    /// <param name="encoderDepth">18 or 34.</param>
    /// <param name="inputChannels">1 for L.</param>
    /// <param name="outputChannels">2 for ab.</param>
    /// <param name="width">Width multiplier of the decoder channels (1 = DeOldify-like 256/128/64/64).</param>
    /// <param name="selfAttention">Self-attention in the 1/8-resolution decoder block.</param>
    /// <param name="spectralNorm">Spectral norm on decoder convolutions.</param>
    /// <param name="generator">Random source of the initial weights.</param>
    /// <param name="layer4Blocks">BasicBlocks in the encoder's layer4 (null: the depth's own, 2 or 3); 3 with depth 18
    /// is the layout of ML.NET's ImageNet ResNet18 (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>).</param>
    /// <param name="imageNetInput">Feed the encoder L as an ImageNet network expects a grey photo (three equal
    /// channels, BGR 0–255 minus the channel means, <see cref="ImageNetInput"/>), so that pretrained weights apply
    /// unchanged; conv1 then has three input channels. The decoder still sees L itself.</param>
    /// <param name="hints">Take colour hints: the input is L, hint a, hint b and mask (<see cref="HintChannels"/> more
    /// channels than <paramref name="inputChannels"/>), through the zero-initialised branch described above.</param>
    /// <param name="classes">The classification head (the <c>resnet-unet</c> hyperparameter <c>abHead</c> "classes"):
    /// <c>head</c> gives one logit per ab bin instead of <paramref name="outputChannels"/> values and the output is their
    /// annealed mean (<see cref="AbClassHead"/>); null for the 1×1 conv + tanh head.</param>
    /// <param name="globalContext">Add the photo's mean deepest features to every position before the middle block
    /// (<see cref="GlobalContext"/>, zero-initialised: without training it changes nothing).</param>
    /// <param name="globalContextGate">The block's gated form: its context normalised and scaled by a zero-initialised gate.</param>
    public ResNetUnet(int encoderDepth = 34, int inputChannels = 1, int outputChannels = 2, float width = 1f, bool selfAttention = true, bool spectralNorm = true, Generator? generator = null, int? layer4Blocks = null, bool imageNetInput = false, bool hints = false, AbClassHead? classes = null, bool globalContext = false, bool globalContextGate = false)
    {
        if (classes is not null && outputChannels != 2)
        {
            throw new ArgumentException("The class head's output is ab: two channels.", nameof(outputChannels));
        }

        if (imageNetInput && inputChannels != 1)
        {
            throw new ArgumentException("The ImageNet input takes one L channel.", nameof(inputChannels));
        }

        if (hints && inputChannels != 1)
        {
            throw new ArgumentException("The hint input takes one L channel besides the hint planes.", nameof(inputChannels));
        }

        _imageNetInput = imageNetInput;
        _encoder = RegisterModule("encoder", new ResNetEncoder(encoderDepth, imageNetInput ? 3 : inputChannels, generator, layer4Blocks));
        _middle = RegisterModule("middle", new Sequential(
            new BatchNorm2d(512), new ReLU(),
            Layers.Conv(512, 1024, 3, spectralNorm, generator), new ReLU(),
            Layers.Conv(1024, 512, 3, spectralNorm, generator), new ReLU()));

        int Scale(int c) => Math.Max(8, (int)Math.Round(c * width));
        int[] skipChannels = [256, 128, 64, 64];
        int[] outChannels = [Scale(256), Scale(128), Scale(64), Scale(64)];
        _decoder = RegisterModule("decoder", new ModuleList<UnetUpBlock>());
        int upIn = 512;
        for (int i = 0; i < 4; i++)
        {
            _decoder.Add(new UnetUpBlock(upIn, skipChannels[i], outChannels[i], selfAttention && i == 1, spectralNorm, generator));
            upIn = outChannels[i];
        }

        _finalShuffle = RegisterModule("final_shuffle", new PixelShuffleIcnr(upIn, upIn, spectralNorm, generator));
        int resChannels = upIn + inputChannels;
        _residual = RegisterModule("residual", new Sequential(
            Layers.Conv(resChannels, resChannels, 3, spectralNorm, generator), new ReLU(),
            Layers.Conv(resChannels, resChannels, 3, spectralNorm, generator), new ReLU()));
        _classes = classes;
        _head = RegisterModule("head", Layers.Conv(resChannels, classes?.Count ?? outputChannels, 1, spectralNorm && classes is null, generator));
        if (hints)
        {
            // Registered last, so the automatic network's keys keep their order and its weights their random draws.
            _hintInput = RegisterModule("hint_input", ZeroConv(new Conv2d(HintChannels, 64, 7, stride: 2, padding: 3, generator: generator)));
            _encoder.StemAddend = _hintInput;
            _hintHead = RegisterModule("hint_head", ZeroConv(new Conv2d(HintChannels, resChannels, 3, padding: 1, generator: generator)));
        }

        if (globalContextGate && !globalContext)
        {
            throw new ArgumentException("globalContextGate needs globalContext.", nameof(globalContextGate));
        }

        if (globalContext)
        {
            // Registered after everything else for the same reason as the hint branch.
            _globalContext = RegisterModule(GlobalContext.KeyPrefix.TrimEnd('.'), new GlobalContext(512, 256, generator, globalContextGate));
        }
    }

    /// <summary>Channels of the hint planes that follow L when the network takes hints: a/110, b/110, mask.</summary>
    public const int HintChannels = 3;

    /// <summary>
    /// With the ImageNet input, the hint planes are multiplied by this before <c>hint_input</c>. conv1 sees the photo on
    /// the 0–255 scale (BGR minus the means), so its output has a standard deviation in the hundreds; hint planes in
    /// [−1, 1] through a zero-initialised conv trained at any sane rate stayed negligible beside it (a fine-tune at 2e-3
    /// grew the branch's weights to 0.07 in an epoch; hints moved no colour). Scaled like the photo, the planes reach
    /// conv1's scale with weights of conv1's size.
    /// </summary>
    public const float HintInputScale = 127.5f;

    /// <summary>Whether the network takes colour hints (its input has L and <see cref="HintChannels"/> hint planes).</summary>
    public bool TakesHints => _hintInput is not null;

    /// <summary>Whether the network adds the photo's global features before the middle block (<see cref="GlobalContext"/>).</summary>
    public bool HasGlobalContext => _globalContext is not null;

    /// <summary>The state-dict key prefixes of the hint branch (absent from an automatic network's weights).</summary>
    public static IReadOnlyList<string> HintKeyPrefixes { get; } = ["hint_input.", "hint_head."];

    /// <summary>Everything before the head: the input of its 1×1 convolution.</summary>
    private Tensor Trunk(Tensor input) => Trunk(input, out _);

    /// <summary>Everything before the head, and the global-context block's photo summary (null without the block).</summary>
    private Tensor Trunk(Tensor input, out Tensor? sceneSummary)
    {
        if (input.Shape[2] % 32 != 0 || input.Shape[3] % 32 != 0)
        {
            throw new ArgumentException($"ResNetUnet needs a height and width divisible by 32, got {input.Shape[2]}×{input.Shape[3]}.");
        }

        Tensor l = input, hintPlanes = input;
        if (_hintInput is not null)
        {
            if (input.Shape[1] != 1 + HintChannels)
            {
                throw new ArgumentException($"ResNetUnet with hints takes L, hint a, hint b and mask ({1 + HintChannels} channels), got {input.Shape[1]}.");
            }

            l = input.Narrow(1, 0, 1);
            hintPlanes = input.Narrow(1, 1, HintChannels);
        }

        // No hint (all planes zero: what the pipeline feeds a hint pack given none): both hint convolutions would
        // compute 0 + bias everywhere, so their outputs are written as that, without two convolutions over zeros.
        bool noHints = SkipZeroHints && _hintInput is { Bias: not null } && _hintHead is { Bias: not null } && !GradMode.IsEnabled
            && !hintPlanes.Data.ContainsAnyExcept(0f);
        // A few hints (a handful of small discs): the convolutions computed on the bands of rows they reach only.
        bool[]? hintRows = !noHints && SkipZeroHints && _hintInput is { Bias: not null } && !GradMode.IsEnabled ? NonZeroRows(hintPlanes) : null;
        Tensor? conv1Addend = _hintInput is null ? null
            : noHints ? BiasPlanes(_hintInput, input.Shape[0], input.Shape[2], input.Shape[3])
            : (hintRows is not null ? BandConv(_hintInput, _imageNetInput ? hintPlanes.Mul(HintInputScale) : hintPlanes, hintRows, accumulate: null) : null)
              ?? _hintInput.Call(_imageNetInput ? hintPlanes.Mul(HintInputScale) : hintPlanes);
        var features = _encoder.Features(_imageNetInput ? ImageNetInput.FromGrey(l) : l, conv1Addend: conv1Addend);
        sceneSummary = null;
        var deepest = features[4];
        if (_globalContext is not null)
        {
            deepest = _globalContext.Forward(deepest, out var summary);
            sceneSummary = summary;
        }

        var x = _middle.Call(deepest);
        for (int i = 0; i < 4; i++)
        {
            x = _decoder[i].Forward(x, features[3 - i]);
        }

        x = _finalShuffle.Call(x);
        x = Tensor.Cat([x, l], 1);
        if (_hintHead is not null && noHints)
        {
            // x + (0 + bias) in place: x is the concatenation's new tensor, shared with nothing.
            AddBias(x, _hintHead.Bias!);
        }
        else if (_hintHead is not null)
        {
            // x added in hint_head's epilogue as it writes its output: (conv + bias) + x has the bits of
            // x + (conv + bias), without a second full-resolution tensor and pass over it; with a few hints, into x
            // band by band (null, x untouched, when the bands would cover most rows).
            x = (hintRows is not null && _hintHead.Bias is not null ? BandConv(_hintHead, hintPlanes, hintRows, accumulate: x) : null)
                ?? _hintHead.Call(hintPlanes, x, relu: false);
        }

        return Residual(x);
    }

    /// <summary>
    /// Whether an inference pass with all-zero hint planes writes the hint convolutions' outputs as their biases instead
    /// of computing them, and one with a few hints convolves only the bands of rows they reach (<see cref="BandConv"/>)
    /// (true; tests turn it off to compare with the full convolutions).
    /// </summary>
    internal bool SkipZeroHints { get; set; } = true;

    /// <summary>
    /// What <paramref name="conv"/> outputs for an all-zero N×3×H×W input: 0 + bias[c] in every position of channel c
    /// (the GEMM's sum of products with zeros is +0, to which the epilogue adds the bias).
    /// </summary>
    private static Tensor BiasPlanes(Conv2d conv, int batch, int height, int width)
    {
        var weight = conv.Weight.Shape;
        int outH = ((height + (2 * conv.Padding.H) - (conv.Dilation.H * (weight[2] - 1)) - 1) / conv.Stride.H) + 1;
        int outW = ((width + (2 * conv.Padding.W) - (conv.Dilation.W * (weight[3] - 1)) - 1) / conv.Stride.W) + 1;
        var planes = Tensor.Zeros(batch, conv.OutChannels, outH, outW);
        AddBias(planes, conv.Bias!);
        return planes;
    }

    /// <summary>Which rows of the N×C×H×W planes hold a value other than 0 in any image and plane.</summary>
    private static bool[] NonZeroRows(Tensor planes)
    {
        ReadOnlySpan<float> data = planes.Data;
        int height = planes.Shape[2], width = planes.Shape[3];
        var rows = new bool[height];
        for (int plane = 0; plane < planes.Shape[0] * planes.Shape[1]; plane++)
        {
            for (int y = 0; y < height; y++)
            {
                rows[y] |= data.Slice(((plane * height) + y) * width, width).ContainsAnyExcept(0f);
            }
        }

        return rows;
    }

    /// <summary>
    /// <paramref name="conv"/>(<paramref name="planes"/>) where only the rows in <paramref name="rows"/> hold non-zero
    /// values: each band of output rows whose receptive field reaches such a row is convolved from a copy of the input
    /// rows it reads (zero rows where the padding is), every other output row is 0 + bias, what the full convolution
    /// computes there (see <see cref="BiasPlanes"/>). Each output element is the same sum of the same products in the
    /// same order as in the full convolution. With <paramref name="accumulate"/> the output is added into it row by row
    /// (the bits of accumulate + output, as an epilogue's addend) and it is returned; else a new tensor. Null when the bands
    /// cover more than half the output rows (the full convolution is then as cheap) or the geometry is not handled.
    /// </summary>
    private static Tensor? BandConv(Conv2d conv, Tensor planes, bool[] rows, Tensor? accumulate)
    {
        var weight = conv.Weight.Shape;
        int kernelH = weight[2], strideH = conv.Stride.H, padH = conv.Padding.H;
        int batch = planes.Shape[0], inC = planes.Shape[1], height = planes.Shape[2], width = planes.Shape[3];
        if (conv.Dilation.H != 1 || conv.Groups != 1)
        {
            return null;
        }

        int outH = ((height + (2 * padH) - kernelH) / strideH) + 1;
        var affected = new bool[outH];
        int count = 0;
        for (int oy = 0; oy < outH; oy++)
        {
            for (int ky = 0; ky < kernelH && !affected[oy]; ky++)
            {
                int iy = (oy * strideH) - padH + ky;
                affected[oy] = iy >= 0 && iy < height && rows[iy];
            }

            count += affected[oy] ? 1 : 0;
        }

        if (2 * count > outH)
        {
            return null;
        }

        // Accumulating, the rows go straight into the target (no full-size output tensor and pass over it).
        var output = accumulate ?? BiasPlanes(conv, batch, height, width);
        int channels = output.Shape[1], outW = output.Shape[3];
        var outData = output.Data;
        ReadOnlySpan<float> bias = conv.Bias!.Data;
        if (accumulate is not null)
        {
            for (int plane = 0; plane < batch * channels; plane++)
            {
                for (int oy = 0; oy < outH; oy++)
                {
                    if (!affected[oy])
                    {
                        var row = outData.Slice(((plane * outH) + oy) * outW, outW);
                        TensorPrimitives.Add(row, 0f + bias[plane % channels], row);
                    }
                }
            }
        }

        ReadOnlySpan<float> inData = planes.Data;
        for (int o0 = 0; o0 < outH;)
        {
            if (!affected[o0])
            {
                o0++;
                continue;
            }

            int o1 = o0;
            while (o1 < outH && affected[o1])
            {
                o1++;
            }

            // The input rows the band reads, rows outside the image (the padding) left zero.
            int r0 = (o0 * strideH) - padH, bandRows = ((o1 - 1 - o0) * strideH) + kernelH;
            var band = Tensor.Zeros(batch, inC, bandRows, width);
            var bandData = band.Data;
            for (int plane = 0; plane < batch * inC; plane++)
            {
                for (int r = Math.Max(0, -r0); r < bandRows && r0 + r < height; r++)
                {
                    inData.Slice(((plane * height) + r0 + r) * width, width).CopyTo(bandData.Slice(((plane * bandRows) + r) * width, width));
                }
            }

            var result = Functional.Conv2d(band, conv.Weight, conv.Bias, conv.Stride, (0, conv.Padding.W), conv.Dilation, conv.Groups);
            ReadOnlySpan<float> resultData = result.Data;
            int rowsOut = o1 - o0;
            for (int plane = 0; plane < batch * channels; plane++)
            {
                var source = resultData.Slice(plane * rowsOut * outW, rowsOut * outW);
                var target = outData.Slice(((plane * outH) + o0) * outW, rowsOut * outW);
                if (accumulate is null)
                {
                    source.CopyTo(target);
                }
                else
                {
                    TensorPrimitives.Add(target, source, target);
                }
            }

            o0 = o1;
        }

        return output;
    }

    /// <summary>Adds 0 + bias[c] to every element of channel c of an N×C×H×W tensor, in place.</summary>
    private static void AddBias(Tensor x, Tensor bias)
    {
        var data = x.Data;
        ReadOnlySpan<float> b = bias.Data;
        int channels = x.Shape[1], plane = x.Shape[2] * x.Shape[3];
        for (int i = 0; i < x.Shape[0] * channels; i++)
        {
            var span = data.Slice(i * plane, plane);
            TensorPrimitives.Add(span, 0f + b[i % channels], span);
        }
    }

    /// <summary>x + residual(x).</summary>
    private Tensor Residual(Tensor x)
    {
        if (_residual is [var first, var between, Conv2d { AppliesReLU: true } last, Identity] && between is Identity or ReLU)
        {
            // Optimised for inference (the ReLU fused into the last convolution): the sum with x is applied as that
            // convolution writes its output, x + relu(conv(h)) in one pass (the bits of the separate add).
            return last.Call(between.Call(first.Call(x)), x, relu: false, addendAfterReLU: true);
        }

        return x + _residual.Call(x);
    }

    private static Conv2d ZeroConv(Conv2d conv)
    {
        Init.Constant(conv.Weight, 0f);
        Init.Constant(conv.Bias!, 0f);
        return conv;
    }
}

/// <summary>
/// A torchvision-layout ResNet18/34 body returning the features at 1/2, 1/4, 1/8, 1/16 and 1/32 (no pooling, no FC).
/// Public so that the trainer can run a frozen ImageNet copy of it as a feature-loss network.
/// </summary>
public sealed class ResNetEncoder : Module<Tensor, Tensor>, IBatchNormFoldable
{
    private readonly Sequential[] _layers;
    private Conv2d _conv1;

    // BatchNorm2d, or Identity once folded into conv1 for inference.
    private Module<Tensor, Tensor> _bn1;

    /// <summary>Creates the encoder with Kaiming-initialised convolutions.</summary>
    /// <param name="depth">18 or 34 (blocks per stage [2, 2, 2, 2] or [3, 4, 6, 3]).</param>
    /// <param name="inputChannels">Channels of conv1's input.</param>
    /// <param name="generator">Random source of the initial weights.</param>
    /// <param name="layer4Blocks">Overrides the number of blocks in layer4 (ML.NET's ImageNet ResNet18 has 3).</param>
    public ResNetEncoder(int depth, int inputChannels, Generator? generator, int? layer4Blocks = null)
    {
        int[] blocks = depth switch
        {
            18 => [2, 2, 2, 2],
            34 => [3, 4, 6, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(depth), "The ResNet encoder has depth 18 or 34."),
        };
        if (layer4Blocks is { } l4)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(l4, 1);
            blocks[3] = l4;
        }

        _conv1 = RegisterModule("conv1", new Conv2d(inputChannels, 64, 7, stride: 2, padding: 3, bias: false, generator: generator));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(64));
        _layers = new Sequential[4];
        int inC = 64;
        for (int l = 0; l < 4; l++)
        {
            int outC = 64 << l;
            var layer = new Sequential();
            for (int b = 0; b < blocks[l]; b++)
            {
                layer.Add(new BasicBlock(b == 0 ? inC : outC, outC, b == 0 && l > 0 ? 2 : 1, generator));
            }

            _layers[l] = RegisterModule($"layer{l + 1}", layer);
            inC = outC;
        }

        foreach (var (_, m) in NamedModules())
        {
            if (m is Conv2d conv)
            {
                Init.KaimingNormal(conv.Weight, mode: FanMode.FanOut, nonlinearity: "relu", generator: generator);
            }
        }
    }

    /// <summary>
    /// The convolution whose output the owner passes as <c>conv1Addend</c> (a hint network's <c>hint_input</c>), or
    /// null. The addend goes through bn1, so folding bn1 into conv1 for inference scales this convolution's weights
    /// and bias by bn1's scale as well (bn1's shift is already in conv1's bias): the sum then equals bn1's output.
    /// </summary>
    internal Conv2d? StemAddend { get; set; }

    /// <summary>The features after conv1 (1/2), layer1 (1/4), layer2 (1/8), layer3 (1/16) and layer4 (1/32).</summary>
    /// <param name="input">N×C×H×W.</param>
    /// <param name="stages">How many of the five to compute (a feature loss may not need the deepest).</param>
    /// <param name="conv1Addend">Added to conv1's output before bn1 (N×64×H/2×W/2; a hint network's hint branch), or null.</param>
    /// <exception cref="InvalidOperationException">An addend is given after bn1 was folded into conv1 with no <see cref="StemAddend"/> folded with it.</exception>
    public Tensor[] Features(Tensor input, int stages = 5, Tensor? conv1Addend = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, 5);
        var features = new Tensor[stages];
        if (_bn1 is not BatchNorm2d)
        {
            if (conv1Addend is not null && StemAddend is null)
            {
                // Nothing scaled it by bn1's scale, so the sum would not be what bn1 gave.
                throw new InvalidOperationException("bn1 is folded into conv1: an addend before bn1 must come from the StemAddend convolution, which the fold scales too.");
            }

            // Folded for inference: the addend and the ReLU applied as conv1 writes its output (the same bits).
            features[0] = _conv1.Call(input, conv1Addend, relu: true);
        }
        else
        {
            var stem = _conv1.Call(input);
            features[0] = _bn1.Call(conv1Addend is null ? stem : stem + conv1Addend).Relu();
        }

        var x = Functional.MaxPool2d(features[0], 3, 2, 1);
        for (int i = 1; i < stages; i++)
        {
            x = _layers[i - 1].Call(x);
            features[i] = x;
        }

        return features;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Features(input)[4];

    /// <summary>Folds bn1 into conv1 (and its scale into <see cref="StemAddend"/>); the blocks fold their own.</summary>
    int IBatchNormFoldable.FoldBatchNorm()
    {
        if (_bn1 is not BatchNorm2d bn || StemAddend is { HasPreHooks: true } || InferenceOptimizer.TryFold(_conv1, bn) is not { } fused)
        {
            return 0;
        }

        if (StemAddend is { } addend)
        {
            // bn1(conv1(x) + a(h)) = s·conv1(x) + t + s·a(h): the addend's convolution takes s, not t.
            var scale = InferenceOptimizer.BatchNormAffine(bn).Scale;
            var weight = addend.Weight.Data;
            int perOut = weight.Length / addend.OutChannels;
            for (int o = 0; o < addend.OutChannels; o++)
            {
                for (int j = o * perOut; j < (o + 1) * perOut; j++)
                {
                    weight[j] *= scale[o];
                }

                if (addend.Bias is { } bias)
                {
                    bias.Data[o] *= scale[o];
                }
            }
        }

        _conv1 = RegisterModule("conv1", fused);
        _bn1 = RegisterModule("bn1", FoldedAway());
        return 1;
    }

    /// <summary>What replaces a folded BatchNorm: the identity, in eval mode like the model around it.</summary>
    internal static Identity FoldedAway()
    {
        var identity = new Identity();
        identity.Eval();
        return identity;
    }
}

/// <summary>torchvision's BasicBlock: conv3×3-BN-ReLU-conv3×3-BN plus the (downsampled) input, ReLU.</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>, IBatchNormFoldable
{
    private readonly Sequential? _downsample;
    private Conv2d _conv1, _conv2;

    // BatchNorm2d, or Identity once folded into the convolution before it for inference.
    private Module<Tensor, Tensor> _bn1, _bn2;

    public BasicBlock(int inC, int outC, int stride, Generator? generator)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false, generator: generator));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(outC));
        _conv2 = RegisterModule("conv2", new Conv2d(outC, outC, 3, padding: 1, bias: false, generator: generator));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(outC));
        if (stride != 1 || inC != outC)
        {
            _downsample = RegisterModule("downsample", new Sequential(new Conv2d(inC, outC, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outC)));
        }
    }

    public override Tensor Forward(Tensor input)
    {
        if (_bn1 is not BatchNorm2d && _bn2 is not BatchNorm2d)
        {
            // Folded for inference: the ReLUs and the shortcut's sum applied as the convolutions write (the same bits).
            var shortcut = _downsample?.Call(input) ?? input;
            return _conv2.Call(_conv1.Call(input, null, relu: true), shortcut, relu: true);
        }

        var y = _bn2.Call(_conv2.Call(_bn1.Call(_conv1.Call(input)).Relu()));
        return (y + (_downsample?.Call(input) ?? input)).Relu();
    }

    /// <summary>Folds bn1 into conv1 and bn2 into conv2 (the downsample is a Sequential: the optimiser folds it).</summary>
    int IBatchNormFoldable.FoldBatchNorm() => Fold("conv1", ref _conv1, "bn1", ref _bn1) + Fold("conv2", ref _conv2, "bn2", ref _bn2);

    private int Fold(string convName, ref Conv2d conv, string bnName, ref Module<Tensor, Tensor> norm)
    {
        if (norm is not BatchNorm2d bn || InferenceOptimizer.TryFold(conv, bn) is not { } fused)
        {
            return 0;
        }

        conv = RegisterModule(convName, fused);
        norm = RegisterModule(bnName, ResNetEncoder.FoldedAway());
        return 1;
    }
}

/// <summary>One decoder block: PixelShuffle_ICNR up, BatchNorm'd skip concatenated, ReLU, two convs (+ self-attention).</summary>
internal sealed class UnetUpBlock : Module
{
    private readonly PixelShuffleIcnr _shuffle;
    private readonly BatchNorm2d _bn;
    private readonly Sequential _convs;

    public UnetUpBlock(int upIn, int skip, int outC, bool selfAttention, bool spectralNorm, Generator? generator)
    {
        _shuffle = RegisterModule("shuf", new PixelShuffleIcnr(upIn, upIn / 2, spectralNorm, generator));
        _bn = RegisterModule("bn", new BatchNorm2d(skip));
        int ni = (upIn / 2) + skip;
        _convs = RegisterModule("convs", new Sequential(
            Layers.Conv(ni, outC, 3, spectralNorm, generator), new ReLU(),
            Layers.Conv(outC, outC, 3, spectralNorm, generator), new ReLU()));
        if (selfAttention)
        {
            _convs.Add(new SelfAttention(outC, spectralNorm, generator));
        }
    }

    public Tensor Forward(Tensor up, Tensor skip)
    {
        var x = _shuffle.Call(up);
        if (x.Shape[2] != skip.Shape[2] || x.Shape[3] != skip.Shape[3])
        {
            x = Functional.Interpolate(x, skip.Shape[2], skip.Shape[3]);
        }

        // relu(cat) in one pass when nothing is recorded (the bits of the two ops).
        return _convs.Call(Functional.CatRelu([x, _bn.Call(skip)], 1));
    }
}

/// <summary>DeOldify's PixelShuffle_ICNR with blur: 1×1 conv to 4·nf channels (ICNR), ReLU, PixelShuffle(2), blur.</summary>
internal sealed class PixelShuffleIcnr : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;

    public PixelShuffleIcnr(int ni, int nf, bool spectralNorm, Generator? generator)
    {
        var conv = new Conv2d(ni, nf * 4, 1, generator: generator);
        Init.Icnr(conv.Weight, 2, generator);
        Init.Constant(conv.Bias!, 0f);
        _conv = RegisterModule("conv", spectralNorm ? SpectralNorm.Apply(conv, generator: generator) : conv);
    }

    public override Tensor Forward(Tensor input)
    {
        // As fastai's PixelShuffle_ICNR: ReLU, shuffle, then blur against checkerboard artefacts (replicate one
        // row/column on the top/left, 2×2 mean with stride 1), in one pass when nothing is recorded.
        return Functional.PixelShuffleBlur(_conv.Call(input), 2, relu: true);
    }
}

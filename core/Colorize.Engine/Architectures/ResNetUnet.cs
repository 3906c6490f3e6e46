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

using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Colorize.Tensors;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

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

using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// The classic U-Net of seed 002 (Ronneberger et al. 2015 with BatchNorm and same-padding): four encoder blocks of
/// (3×3 conv + BatchNorm + ReLU) × 2 with 2×2 max-pooling between them and before a bottleneck block, then four
/// decoder blocks of a 2×2 stride-2 transposed convolution, skip concatenation and (conv + BN + ReLU) × 2; a 1×1
/// convolution and tanh give ab. The input side must be divisible by 2^depth.
/// </summary>
public sealed class ClassicUnet : Module<Tensor, Tensor>
{
    private readonly ModuleList<DoubleConv> _down;
    private readonly DoubleConv _bottleneck;
    private readonly ModuleList<ConvTranspose2d> _upsample;
    private readonly ModuleList<DoubleConv> _up;
    private readonly Conv2d _head;

    /// <summary>Creates the network.</summary>
    /// <param name="inputChannels">1 for L.</param>
    /// <param name="outputChannels">2 for ab.</param>
    /// <param name="width">Channels of the first block (64 in the paper); block i has width·2^i.</param>
    /// <param name="depth">Encoder blocks (4).</param>
    /// <param name="generator">Random source of the initial weights.</param>
    public ClassicUnet(int inputChannels = 1, int outputChannels = 2, int width = 64, int depth = 4, Generator? generator = null)
    {
        if (depth < 1 || width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), "Depth and width must be positive.");
        }

        Depth = depth;
        _down = RegisterModule("down", new ModuleList<DoubleConv>());
        int channels = inputChannels;
        for (int i = 0; i < depth; i++)
        {
            _down.Add(new DoubleConv(channels, width << i, generator));
            channels = width << i;
        }

        _bottleneck = RegisterModule("bottleneck", new DoubleConv(channels, width << depth, generator));
        _upsample = RegisterModule("upsample", new ModuleList<ConvTranspose2d>());
        _up = RegisterModule("up", new ModuleList<DoubleConv>());
        for (int i = depth - 1; i >= 0; i--)
        {
            _upsample.Add(new ConvTranspose2d(width << (i + 1), width << i, 2, stride: 2, generator: generator));
            _up.Add(new DoubleConv(width << (i + 1), width << i, generator));
        }

        _head = RegisterModule("head", new Conv2d(width, outputChannels, 1, generator: generator));
    }

    /// <summary>Encoder blocks; the input side must be divisible by 2^Depth.</summary>
    public int Depth { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var skips = new List<Tensor>();
        var x = input;
        foreach (var block in _down)
        {
            x = block.Call(x);
            skips.Add(x);
            x = Functional.MaxPool2d(x, 2);
        }

        x = _bottleneck.Call(x);
        for (int i = 0; i < _up.Count; i++)
        {
            x = _upsample[i].Call(x);
            x = _up[i].Call(Tensor.Cat([skips[^(i + 1)], x], 1));
        }

        return _head.Call(x).Tanh();
    }
}

/// <summary>(3×3 conv + BatchNorm + ReLU) × 2, registered as <c>block.0</c> … <c>block.5</c>.</summary>
internal sealed class DoubleConv : Module<Tensor, Tensor>
{
    private readonly Sequential _block;

    public DoubleConv(int inChannels, int outChannels, Generator? generator)
    {
        _block = RegisterModule("block", new Sequential(
            new Conv2d(inChannels, outChannels, 3, padding: 1, bias: false, generator: generator), new BatchNorm2d(outChannels), new ReLU(),
            new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, generator: generator), new BatchNorm2d(outChannels), new ReLU()));
    }

    public override Tensor Forward(Tensor input) => _block.Call(input);
}

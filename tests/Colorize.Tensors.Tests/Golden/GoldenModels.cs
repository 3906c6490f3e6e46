using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>The ConvNet of generate.py: conv, BN, leaky ReLU, strided conv without bias, BN, ReLU, transposed conv, tanh, 1×1 head.</summary>
internal sealed class GoldenConvNet : Module<Tensor, Tensor>
{
    private readonly Sequential _net;
    private readonly Conv2d _head;

    public GoldenConvNet(Generator? generator = null)
    {
        _net = RegisterModule("net", new Sequential(
            new Conv2d(3, 8, 3, padding: 1, generator: generator),
            new BatchNorm2d(8),
            new LeakyReLU(0.2f),
            new Conv2d(8, 8, 4, stride: 2, padding: 1, bias: false, generator: generator),
            new BatchNorm2d(8),
            new ReLU(),
            new ConvTranspose2d(8, 4, 4, stride: 2, padding: 1, generator: generator),
            new Tanh()));
        _head = RegisterModule("head", new Conv2d(4, 2, 1, generator: generator));
    }

    public override Tensor Forward(Tensor input) => _head.Call(_net.Call(input));
}

/// <summary>generate.py's LinearHeadCritic: conv, instance norm (affine), leaky ReLU, twice, then a linear head.</summary>
internal sealed class GoldenLinearHeadCritic : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly InstanceNorm2d _norm1;
    private readonly Conv2d _conv2;
    private readonly InstanceNorm2d _norm2;
    private readonly Linear _fc;

    public GoldenLinearHeadCritic()
    {
        _conv1 = RegisterModule("conv1", new Conv2d(3, 4, 3, stride: 2, padding: 1));
        _norm1 = RegisterModule("norm1", new InstanceNorm2d(4, affine: true));
        _conv2 = RegisterModule("conv2", new Conv2d(4, 6, 3, stride: 2, padding: 1));
        _norm2 = RegisterModule("norm2", new InstanceNorm2d(6));
        _fc = RegisterModule("fc", new Linear(6 * 2 * 2, 1));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = Functional.LeakyRelu(_norm1.Call(_conv1.Call(input)), 0.2f);
        x = Functional.LeakyRelu(_norm2.Call(_conv2.Call(x)), 0.2f);
        return _fc.Call(x.Flatten(1));
    }
}

/// <summary>generate.py's ConvHeadCritic: conv, instance norm (affine), leaky ReLU, a 3×3 conv head averaged per sample.</summary>
internal sealed class GoldenConvHeadCritic : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1;
    private readonly InstanceNorm2d _norm1;
    private readonly Conv2d _head;

    public GoldenConvHeadCritic()
    {
        _conv1 = RegisterModule("conv1", new Conv2d(3, 5, 4, stride: 2, padding: 1));
        _norm1 = RegisterModule("norm1", new InstanceNorm2d(5, affine: true));
        _head = RegisterModule("head", new Conv2d(5, 1, 3, padding: 1));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = Functional.LeakyRelu(_norm1.Call(_conv1.Call(input)), 0.2f);
        return _head.Call(x).Mean([1, 2, 3]);
    }
}

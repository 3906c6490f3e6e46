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

/// <summary>generate.py's LayerZoo: every layer type the conv net does not use.</summary>
internal sealed class GoldenLayerZoo : Module<Tensor, Tensor>
{
    private readonly ReplicationPad2d _pad;
    private readonly ModuleList<Conv2d> _convs;
    private readonly InstanceNorm2d _inorm;
    private readonly InstanceNorm2d _inormPlain;
    private readonly BatchNorm2d _bnPlain;
    private readonly BatchNorm2d _bnBatchStats;
    private readonly MaxPool2d _pool;
    private readonly AvgPool2d _avg;
    private readonly Upsample _up;
    private readonly Conv2d _toShuffle;
    private readonly PixelShuffle _shuffle;
    private readonly Upsample _down;
    private readonly Sigmoid _act;
    private readonly Linear _fc;

    public GoldenLayerZoo()
    {
        _pad = RegisterModule("pad", new ReplicationPad2d((1, 2, 1, 0)));
        _convs = RegisterModule("convs", new ModuleList<Conv2d>(new Conv2d(3, 8, 3), new Conv2d(8, 8, 3, padding: 1)));
        _inorm = RegisterModule("inorm", new InstanceNorm2d(8, affine: true));
        _inormPlain = RegisterModule("inorm_plain", new InstanceNorm2d(8));
        _bnPlain = RegisterModule("bn_plain", new BatchNorm2d(8, affine: false, momentum: 0.2f));
        _bnBatchStats = RegisterModule("bn_batch_stats", new BatchNorm2d(8, trackRunningStats: false));
        _pool = RegisterModule("pool", new MaxPool2d(3, 2, 1));
        _avg = RegisterModule("avg", new AvgPool2d(3, 1, 1, countIncludePad: false));
        _up = RegisterModule("up", new Upsample(2, InterpolationMode.Bilinear, alignCorners: false));
        _toShuffle = RegisterModule("to_shuffle", new Conv2d(8, 3 * 4, 1));
        _shuffle = RegisterModule("shuffle", new PixelShuffle(2));
        _down = RegisterModule("down", new Upsample(0.5));
        _act = RegisterModule("act", new Sigmoid());
        _fc = RegisterModule("fc", new Linear(10, 4));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = _convs[0].Call(_pad.Call(input));
        x = Functional.LeakyRelu(_inorm.Call(x), 0.2f);
        x = _inormPlain.Call(_convs[1].Call(x));
        x = Functional.Relu(_bnPlain.Call(x));
        x = _bnBatchStats.Call(_pool.Call(x));
        x = _up.Call(_avg.Call(x));
        x = _down.Call(_shuffle.Call(_toShuffle.Call(x)));
        return _fc.Call(_act.Call(x));
    }
}

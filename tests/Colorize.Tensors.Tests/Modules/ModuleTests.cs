using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Modules;

public sealed class ModuleTests
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Sequential _body;

        public Net()
        {
            _body = RegisterModule("body", new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU()));
            RegisterModule("head", SpectralNorm.Apply(new Conv2d(4, 2, 1)));
        }

        public override Tensor Forward(Tensor input) => _body.Call(input);
    }

    [Fact]
    public void StateDict_HasPyTorchKeysInPyTorchOrder()
    {
        var keys = new Net().StateDict().Keys.ToArray();
        Assert.Equal(
            [
                "body.0.weight", "body.0.bias",
                "body.1.weight", "body.1.bias", "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked",
                "head.bias", "head.weight_orig", "head.weight_u", "head.weight_v",
            ],
            keys);
    }

    [Fact]
    public void LoadStateDict_Strict_ReportsMissingAndUnexpectedKeys()
    {
        var net = new Net();
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state.Remove("body.0.bias");
        state["extra.weight"] = Tensor.Zeros(1);
        var ex = Assert.Throws<StateDictException>(() => net.LoadStateDict(state));
        Assert.Equal(["body.0.bias"], ex.MissingKeys);
        Assert.Equal(["extra.weight"], ex.UnexpectedKeys);

        var result = net.LoadStateDict(state, strict: false);
        Assert.Equal(["body.0.bias"], result.MissingKeys);
    }

    [Fact]
    public void LoadStateDict_CopiesValues_AndRejectsShapeMismatch()
    {
        var a = new Net();
        var b = new Net();
        Init.Constant(a.StateDict()["body.0.weight"], 0.25f);
        b.LoadStateDict(a.StateDict());
        Assert.All(b.StateDict()["body.0.weight"].ToArray(), v => Assert.Equal(0.25f, v));

        var bad = a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        bad["body.0.weight"] = Tensor.Zeros(4, 1, 5, 5);
        Assert.Throws<StateDictException>(() => b.LoadStateDict(bad));
    }

    [Fact]
    public void TrainAndEval_PropagateToChildren()
    {
        var net = new Net();
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.Training));
        net.Train();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.Training));
    }

    [Fact]
    public void Parameters_AreLeavesRequiringGrad_AndBuffersAreNot()
    {
        var net = new Net();
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
        Assert.All(net.NamedBuffers(), b => Assert.False(b.Buffer.RequiresGrad));
        // Spectral norm replaces head.weight by head.weight_orig, so there are six parameters, not seven.
        Assert.Equal(6, net.Parameters().Count());
    }

    [Fact]
    public void BatchNorm_CountsBatchesInTrainingOnly()
    {
        var bn = new BatchNorm2d(2);
        var x = Tensor.Randn(new Generator(1), 3, 2, 4, 4);
        bn.Call(x);
        bn.Call(x);
        bn.Eval();
        bn.Call(x);
        Assert.Equal(2f, bn.StateDict()["num_batches_tracked"].Item());
    }

    [Fact]
    public void Dropout_IsIdentityInEval_AndScalesKeptValuesInTraining()
    {
        var drop = new Dropout(0.25f, new Generator(3));
        var x = Tensor.Ones(10_000);
        var y = drop.Call(x).ToArray();
        int kept = y.Count(v => v != 0);
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - (1f / 0.75f)) < 1e-6f));
        Assert.InRange(kept / 10_000.0, 0.73, 0.77);
        drop.Eval();
        Assert.Equal(x.ToArray(), drop.Call(x).ToArray());
    }

    [Fact]
    public void SelfAttention_StartsAsIdentity_BecauseGammaIsZero()
    {
        var attention = new SelfAttention(16, generator: new Generator(5));
        var x = Tensor.Randn(new Generator(6), 2, 16, 5, 3);
        Assert.Equal(x.ToArray(), attention.Call(x).ToArray());
    }

    [Fact]
    public void Icnr_MakesPixelShuffleStartAsNearestNeighbourUpsampling()
    {
        var conv = new Conv2d(3, 8 * 4, 1, bias: false);
        Init.Icnr(conv.Weight, 2, new Generator(9));
        var x = Tensor.Randn(new Generator(10), 1, 3, 4, 5);
        var y = Functional.PixelShuffle(conv.Call(x), 2);
        // Every 2×2 block holds one value.
        for (int c = 0; c < 8; c++)
        {
            for (int i = 0; i < 8; i += 2)
            {
                for (int j = 0; j < 10; j += 2)
                {
                    float v = y[0, c, i, j];
                    Assert.Equal(v, y[0, c, i + 1, j]);
                    Assert.Equal(v, y[0, c, i, j + 1]);
                    Assert.Equal(v, y[0, c, i + 1, j + 1]);
                }
            }
        }
    }

    [Fact]
    public void ForwardHooks_BracketEachCall_PrependedPreHookRunsBeforeSpectralNorm()
    {
        var conv = SpectralNorm.Apply(new Conv2d(1, 2, 1));
        var seq = new Sequential(conv, new ReLU());
        var events = new List<string>();
        var weightAtPreHook = new List<Tensor>();
        seq.AddForwardPreHook(_ => events.Add("seq>"));
        seq.AddForwardHook(_ => events.Add("<seq"));
        conv.AddForwardPreHook(m => weightAtPreHook.Add(((Conv2d)m).Weight), first: true);
        conv.AddForwardPreHook(_ => events.Add("conv>"), first: true);
        conv.AddForwardHook(_ => events.Add("<conv"));

        seq.Call(Tensor.Ones(1, 1, 2, 2));

        Assert.Equal(["seq>", "conv>", "<conv", "<seq"], events);
        // Prepended hooks ran before spectral norm set this call's weight: they saw the previous one.
        Assert.NotSame(conv.Weight, weightAtPreHook.Single());
    }
}

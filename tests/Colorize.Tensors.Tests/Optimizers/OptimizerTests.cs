using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Tensors.Tests.Optimizers;

public sealed class OptimizerTests
{
    [Fact]
    public void Adam_MinimisesAQuadratic()
    {
        var x = Tensor.FromArray([5f, -3f], 2).SetRequiresGrad();
        var opt = new Adam([x], learningRate: 0.1);
        for (int i = 0; i < 300; i++)
        {
            opt.ZeroGrad();
            ((x - 1f) * (x - 1f)).Sum().Backward();
            opt.Step();
        }

        Assert.All(x.ToArray(), v => Assert.InRange(v, 0.99f, 1.01f));
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.05)]  // weight decay added to the gradient
    [InlineData(true, 0.05)]   // AdamW: weight decay multiplies the parameter
    public void Adam_VectorisedUpdate_HasTheBitsOfTheScalarFormula(bool decoupled, double weightDecay)
    {
        // 37 parameters: four eight-wide blocks and a scalar tail.
        const int Count = 37;
        var rng = new Random(5);
        float[] start = Enumerable.Range(0, Count).Select(_ => (float)(rng.NextDouble() * 4) - 2f).ToArray();
        var x = Tensor.FromArray(start, Count).SetRequiresGrad();
        Optimizer opt = decoupled
            ? new AdamW([x], learningRate: 0.01, beta1: 0.5, beta2: 0.9, weightDecay: weightDecay)
            : new Adam([x], learningRate: 0.01, beta1: 0.5, beta2: 0.9, weightDecay: weightDecay);
        float[] p = (float[])start.Clone(), m = new float[Count], v = new float[Count];
        for (int step = 1; step <= 4; step++)
        {
            float[] scale = Enumerable.Range(0, Count).Select(_ => (float)(rng.NextDouble() * 6) - 3f).ToArray();
            opt.ZeroGrad();
            (x * x * Tensor.FromArray(scale, Count)).Sum().Backward();
            opt.Step();

            // torch.optim.Adam's float32 formula, element by element (the gradient of s·x² is 2·s·x).
            double bc1 = 1 - Math.Pow(0.5, step), bc2 = 1 - Math.Pow(0.9, step);
            float stepSize = (float)(0.01 / bc1), bc2Sqrt = (float)Math.Sqrt(bc2), decay = (float)(1 - (0.01 * weightDecay));
            for (int i = 0; i < Count; i++)
            {
                float grad = (scale[i] * p[i]) + (scale[i] * p[i]);
                if (decoupled)
                {
                    p[i] *= decay;
                }
                else if (weightDecay != 0)
                {
                    grad += (float)weightDecay * p[i];
                }

                m[i] = (m[i] * 0.5f) + (grad * 0.5f);
                v[i] = (v[i] * 0.9f) + ((float)(1 - 0.9) * grad * grad);
                float denom = (MathF.Sqrt(v[i]) / bc2Sqrt) + 1e-8f;
                p[i] += -stepSize * (m[i] / denom);
            }

            Assert.Equal(p, x.ToArray());
        }
    }

    [Fact]
    public void Adam_FirstStep_MovesEachParameterByTheLearningRate()
    {
        // With bias correction, Adam's first step is lr · sign(grad) (up to eps).
        var x = Tensor.FromArray([1f, -1f, 4f], 3).SetRequiresGrad();
        var opt = new Adam([x], learningRate: 0.01);
        (x * Tensor.FromArray([2f, -5f, 0.5f], 3)).Sum().Backward();
        opt.Step();
        var v = x.ToArray();
        Assert.Equal(0.99f, v[0], 5);
        Assert.Equal(-0.99f, v[1], 5);
        Assert.Equal(3.99f, v[2], 5);
    }

    [Fact]
    public void StateDict_RoundTrip_ContinuesExactlyLikeAnUninterruptedRun()
    {
        float[] Train(bool interrupt)
        {
            var net = new Linear(3, 2, generator: new Generator(1));
            var opt = new Adam(net.Parameters(), learningRate: 0.05, beta1: 0.5, beta2: 0.999);
            var data = Tensor.Randn(new Generator(2), 8, 3);
            for (int step = 0; step < 6; step++)
            {
                if (interrupt && step == 3)
                {
                    // Simulate a restart: new module and optimizer restored from saved states.
                    var savedModel = net.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.Data, kv.Value.GetShape()));
                    var savedOpt = opt.StateDict();
                    net = new Linear(3, 2, generator: new Generator(99));
                    net.LoadStateDict(savedModel);
                    opt = new Adam(net.Parameters(), learningRate: 0.05, beta1: 0.5, beta2: 0.999);
                    opt.LoadStateDict(savedOpt);
                }

                opt.ZeroGrad();
                net.Call(data).Square().Mean().Backward();
                opt.Step();
            }

            return [.. net.Parameters().SelectMany(p => p.ToArray())];
        }

        Assert.Equal(Train(false), Train(true));
    }

    [Fact]
    public void ParamGroups_UseTheirOwnLearningRates()
    {
        var a = Tensor.FromArray([0f], 1).SetRequiresGrad();
        var b = Tensor.FromArray([0f], 1).SetRequiresGrad();
        var opt = new Sgd([new ParamGroup([a], 0.1), new ParamGroup([b], 0.5)]);
        (a + b).Sum().Backward();
        opt.Step();
        Assert.Equal(-0.1f, a.Item(), 6);
        Assert.Equal(-0.5f, b.Item(), 6);
    }

    [Fact]
    public void SgdMomentum_FollowsTheHeavyBallRecurrence()
    {
        var x = Tensor.FromArray([0f], 1).SetRequiresGrad();
        var opt = new Sgd([x], learningRate: 1.0, momentum: 0.9);
        float expected = 0, buf = 0;
        for (int i = 0; i < 4; i++)
        {
            opt.ZeroGrad();
            x.Sum().Backward(); // gradient 1
            opt.Step();
            buf = i == 0 ? 1f : (buf * 0.9f) + 1f;
            expected -= buf;
        }

        Assert.Equal(expected, x.Item(), 5);
    }

    [Fact]
    public void StepLR_And_LinearDecay_FollowPyTorchFormulas()
    {
        var x = Tensor.Zeros(1).SetRequiresGrad();
        var opt = new Sgd([x], learningRate: 1.0);
        var step = new StepLR(opt, stepSize: 2, gamma: 0.5);
        var rates = new List<double> { opt.ParamGroups[0].LearningRate };
        for (int i = 0; i < 4; i++)
        {
            step.Step();
            rates.Add(opt.ParamGroups[0].LearningRate);
        }

        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.25], rates);

        var opt2 = new Sgd([Tensor.Zeros(1).SetRequiresGrad()], learningRate: 2e-4);
        var decay = LambdaLR.LinearDecay(opt2, constantEpochs: 2, decayEpochs: 2);
        var lrs = new List<double> { opt2.ParamGroups[0].LearningRate };
        for (int i = 0; i < 4; i++)
        {
            decay.Step();
            lrs.Add(opt2.ParamGroups[0].LearningRate);
        }

        // lambda(e) = 1 − max(0, e + 1 − 2)/3.
        Assert.Equal(new[] { 2e-4, 2e-4, 2e-4 * (2.0 / 3), 2e-4 * (1.0 / 3), 0 }.Select(v => Math.Round(v, 12)), lrs.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void OneCycle_WarmsUpToMaxThenAnnealsBelowStart()
    {
        var opt = new Adam([Tensor.Zeros(1).SetRequiresGrad()], learningRate: 1e-3);
        var sched = new OneCycleLR(opt, maxLearningRate: 1e-2, totalSteps: 100);
        var lrs = new List<double> { opt.ParamGroups[0].LearningRate };
        for (int i = 1; i < 100; i++)
        {
            sched.Step();
            lrs.Add(opt.ParamGroups[0].LearningRate);
        }

        Assert.Equal(1e-2 / 25, lrs[0], 12);
        Assert.Equal(1e-2, lrs.Max(), 12);
        Assert.Equal(29, lrs.IndexOf(lrs.Max()));
        Assert.Equal(1e-2 / 25 / 1e4, lrs[^1], 12);
    }

    [Fact]
    public void ReduceOnPlateau_CutsTheRateAfterPatienceRunsOut()
    {
        var opt = new Sgd([Tensor.Zeros(1).SetRequiresGrad()], learningRate: 1.0);
        var plateau = new ReduceLROnPlateau(opt, patience: 2);
        Assert.False(plateau.Step(1.0));
        Assert.False(plateau.Step(1.0));
        Assert.False(plateau.Step(1.0));
        Assert.True(plateau.Step(1.0));
        Assert.Equal(0.1, opt.ParamGroups[0].LearningRate, 12);
    }
}

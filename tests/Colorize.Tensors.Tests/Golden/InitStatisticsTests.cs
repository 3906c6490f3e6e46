using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Initialisers draw from our own generator, so they are checked against torch.nn.init's formulas by their
/// statistics: bounds of uniform draws, standard deviations of normal draws (with PyTorch's fan and gain rules),
/// and ICNR's defining property (conv + PixelShuffle starts as nearest-neighbour upsampling).
/// </summary>
public sealed class InitStatisticsTests
{
    private static (double Mean, double Std, double MaxAbs) Stats(Tensor t)
    {
        var d = t.Data.ToArray();
        double mean = d.Average(v => (double)v);
        double std = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / d.Length);
        return (mean, std, d.Max(v => Math.Abs((double)v)));
    }

    // Tolerances are five standard errors for the sample size, so small tensors (biases) are not held to the
    // precision of large ones.
    private static void AssertUniform(Tensor t, double bound, string what)
    {
        var (mean, std, maxAbs) = Stats(t);
        int n = t.Count;
        double expectedStd = bound / Math.Sqrt(3);
        Assert.True(maxAbs <= bound * (1 + 1e-6), $"{what}: max |w| {maxAbs} exceeds the bound {bound}");
        Assert.True(maxAbs > bound * (1 - Math.Max(0.002, 10.0 / n)), $"{what}: max |w| {maxAbs} is far below the bound {bound}");
        Assert.True(Math.Abs(std - expectedStd) < 5 * 0.45 / Math.Sqrt(n) * expectedStd, $"{what}: std {std}, expected {expectedStd}");
        Assert.True(Math.Abs(mean) < 5 * expectedStd / Math.Sqrt(n), $"{what}: mean {mean}");
    }

    private static void AssertNormal(Tensor t, double expectedStd, string what)
    {
        var (mean, std, _) = Stats(t);
        int n = t.Count;
        Assert.True(Math.Abs(std - expectedStd) < 5 / Math.Sqrt(2.0 * n) * expectedStd, $"{what}: std {std}, expected {expectedStd}");
        Assert.True(Math.Abs(mean) < 5 * expectedStd / Math.Sqrt(n), $"{what}: mean {mean}");
    }

    [Fact]
    public void LayerDefaults_FollowPyTorch_UniformOneOverSqrtFanIn()
    {
        // torch: kaiming_uniform_(a=√5) gives U(±1/√fan_in) for the weight; the bias is U(±1/√fan_in) too.
        var conv = new Conv2d(64, 96, 3, generator: new Generator(1));
        AssertUniform(conv.Weight, 1 / Math.Sqrt(64 * 9), "Conv2d weight");
        AssertUniform(conv.Bias!, 1 / Math.Sqrt(64 * 9), "Conv2d bias");

        // ConvTranspose2d: PyTorch computes fan_in from weight.size(1) = out_channels / groups (a quirk kept for parity).
        var convT = new ConvTranspose2d(32, 48, 4, groups: 2, generator: new Generator(2));
        AssertUniform(convT.Weight, 1 / Math.Sqrt(24 * 16), "ConvTranspose2d weight");

        var linear = new Linear(300, 200, generator: new Generator(3));
        AssertUniform(linear.Weight, 1 / Math.Sqrt(300), "Linear weight");
        AssertUniform(linear.Bias!, 1 / Math.Sqrt(300), "Linear bias");
    }

    [Fact]
    public void Kaiming_And_Xavier_UsePyTorchsGainsAndFans()
    {
        var w = Tensor.Zeros(128, 64, 3, 3);
        Init.KaimingNormal(w, generator: new Generator(4));
        AssertNormal(w, Math.Sqrt(2.0) / Math.Sqrt(64 * 9), "kaiming_normal_ (fan_in, relu gain)");

        Init.KaimingNormal(w, a: 0.2f, mode: FanMode.FanOut, generator: new Generator(5));
        AssertNormal(w, Math.Sqrt(2.0 / (1 + 0.04)) / Math.Sqrt(128 * 9), "kaiming_normal_ (fan_out, leaky 0.2)");

        Init.KaimingUniform(w, generator: new Generator(6));
        AssertUniform(w, Math.Sqrt(2.0) * Math.Sqrt(3.0 / (64 * 9)), "kaiming_uniform_");

        Init.XavierUniform(w, gain: 1.5f, generator: new Generator(7));
        AssertUniform(w, 1.5 * Math.Sqrt(6.0 / ((64 * 9) + (128 * 9))), "xavier_uniform_");

        Init.XavierNormal(w, generator: new Generator(8));
        AssertNormal(w, Math.Sqrt(2.0 / ((64 * 9) + (128 * 9))), "xavier_normal_");

        Init.Normal(w, 0f, 0.02f, new Generator(9));
        AssertNormal(w, 0.02, "normal_(0, 0.02)");

        Assert.Equal(5f / 3f, Init.CalculateGain("tanh"), 6);
        Assert.Equal(MathF.Sqrt(2f), Init.CalculateGain("relu"), 6);
        Assert.Equal(MathF.Sqrt(2f / (1f + (0.2f * 0.2f))), Init.CalculateGain("leaky_relu", 0.2f), 6);
    }

    [Fact]
    public void Icnr_ConvThenPixelShuffle_IsNearestUpsamplingOfOneSubKernel()
    {
        const int cin = 5, cout = 3, r = 2;
        var w = Tensor.Zeros(cout * r * r, cin, 3, 3);
        Init.Icnr(w, r, new Generator(10));
        var x = Tensor.Randn(new Generator(11), 2, cin, 6, 7);

        var shuffled = Functional.PixelShuffle(Functional.Conv2d(x, w, null, 1, 1), r);
        var sub = Tensor.Stack(Enumerable.Range(0, cout).Select(c => w.Narrow(0, c * r * r, 1).Squeeze(0)).ToArray());
        var nearest = Functional.Interpolate(Functional.Conv2d(x, sub, null, 1, 1), 6 * r, 7 * r);
        GoldenAssert.Close(nearest, shuffled, "ICNR conv + pixel shuffle vs nearest upsampling", rtol: 1e-5, atol: 1e-6);

        // The sub-kernels themselves are kaiming_normal_ over [cout, cin, 3, 3] (fastai's icnr_init).
        var big = Tensor.Zeros(64 * r * r, 32, 3, 3);
        Init.Icnr(big, r, new Generator(12));
        AssertNormal(big, Math.Sqrt(2.0) / Math.Sqrt(32 * 9), "ICNR sub-kernels");
    }
}

using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Dropout is random, so it is checked by its statistics and scaling (PyTorch's inverted dropout: kept elements are
/// multiplied by 1/(1 − p)), not against PyTorch's values.
/// </summary>
public sealed class DropoutStatisticsTests
{
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.8f)]
    public void Training_ZeroesAboutPAndScalesTheRest(float p)
    {
        const int n = 200_000;
        var x = Tensor.Rand(new Generator(1), 0.5f, 1.5f, n);
        var y = Functional.Dropout(x, p, training: true, new Generator(2));
        float scale = 1f / (1f - p);
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            if (y.Data[i] == 0f)
            {
                dropped++;
            }
            else
            {
                Assert.Equal(x.Data[i] * scale, y.Data[i], 5e-6f);
            }
        }

        // Binomial(n, p): the drop fraction is within 5 standard deviations of p.
        double sigma = Math.Sqrt(p * (1 - p) / n);
        double fraction = dropped / (double)n;
        Assert.True(Math.Abs(fraction - p) < 5 * sigma, $"dropped fraction {fraction:F4} for p = {p} (σ = {sigma:G3})");

        // The expectation is preserved: E[y] = E[x].
        double meanX = x.Data.ToArray().Average(), meanY = y.Data.ToArray().Average();
        Assert.True(Math.Abs(meanY - meanX) < 6 * Math.Sqrt(p / (1 - p) / n) * 1.2, $"mean {meanY:F5} vs {meanX:F5}");
    }

    [Fact]
    public void Gradient_IsTheSameMaskAndScale()
    {
        var x = Tensor.Rand(new Generator(3), 1000).SetRequiresGrad();
        var y = Functional.Dropout(x, 0.4f, training: true, new Generator(4));
        var upstream = Tensor.Randn(new Generator(5), 1000);
        y.Backward(upstream);
        for (int i = 0; i < 1000; i++)
        {
            float expected = y.Data[i] == 0f ? 0f : upstream.Data[i] / 0.6f;
            Assert.Equal(expected, x.Grad!.Data[i], 1e-5f);
        }
    }

    [Fact]
    public void Eval_IsIdentity_AndModuleFollowsTrainingMode()
    {
        var x = Tensor.Randn(new Generator(6), 4, 5);
        Assert.Same(x, Functional.Dropout(x, 0.5f, training: false, new Generator(7)));
        var layer = new Dropout(0.5f, new Generator(8));
        layer.Eval();
        Assert.Equal(x.ToArray(), layer.Call(x).ToArray());
        layer.Train();
        Assert.NotEqual(x.ToArray(), layer.Call(x).ToArray());
    }

    [Fact]
    public void SameSeed_SameMask_AndEdgeProbabilities()
    {
        var x = Tensor.Ones(500);
        Assert.Equal(Functional.Dropout(x, 0.3f, true, new Generator(9)).ToArray(), Functional.Dropout(x, 0.3f, true, new Generator(9)).ToArray());
        Assert.Equal(x.ToArray(), Functional.Dropout(x, 0f, true, new Generator(10)).ToArray());
        Assert.All(Functional.Dropout(x, 1f, true, new Generator(11)).ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Dropout(x, 1.5f, true, new Generator(12)));
    }

    [Fact]
    public void Dropout2d_ZeroesWholeChannelsWithProbabilityP_AndScalesTheRest()
    {
        const float p = 0.3f;
        var x = Tensor.Rand(new Generator(13), 0.5f, 1.5f, 50, 40, 3, 5);
        var y = Functional.Dropout2d(x, p, training: true, new Generator(14));
        int planes = 50 * 40, dropped = 0;
        for (int plane = 0; plane < planes; plane++)
        {
            var xs = x.Data.Slice(plane * 15, 15);
            var ys = y.Data.Slice(plane * 15, 15);
            bool zero = ys[0] == 0f;
            dropped += zero ? 1 : 0;
            for (int i = 0; i < 15; i++)
            {
                Assert.Equal(zero ? 0f : xs[i] / (1f - p), ys[i], 5e-6f);
            }
        }

        double sigma = Math.Sqrt(p * (1 - p) / planes);
        Assert.True(Math.Abs((dropped / (double)planes) - p) < 5 * sigma, $"dropped {dropped} of {planes} planes for p = {p}");
        Assert.Same(x, Functional.Dropout2d(x, p, training: false, new Generator(15)));
    }
}

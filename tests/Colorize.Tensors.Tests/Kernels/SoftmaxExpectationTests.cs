using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// <see cref="Functional.SoftmaxExpectation"/>: without autograd the tiled kernel (no Q planes over the image) computes
/// what the separate ops compute, to rounding, with the same bits for any thread count; with autograd it is those ops.
/// </summary>
[Collection("TensorOptions")]
public sealed class SoftmaxExpectationTests
{
    private const float Scale = 1f / 0.38f;

    [Theory]
    [InlineData(2, 32, 261, 37, 41, true)]   // 1517 positions: five whole tiles and a partial one per image; split among threads
    [InlineData(1, 8, 261, 3, 5, false)]     // fewer positions than a tile, no bias
    [InlineData(1, 16, 7, 16, 32, true)]     // exactly two tiles, few classes
    public void MatchesTheSeparateOps_WithTheSameBitsForAnyThreadCount(int n, int c, int q, int h, int w, bool withBias)
    {
        var (x, weight, bias, values) = Inputs(n, c, q, h, w, withBias, seed: 5);
        float[] expected = Unfused(x, weight, bias, values).ToArray();
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = TensorOptions.NumThreads;
            try
            {
                TensorOptions.NumThreads = threads;
                Tensor fused;
                using (Tensor.NoGrad())
                {
                    fused = Functional.SoftmaxExpectation(x, weight, bias, Scale, values);
                }

                Assert.Equal([n, 2, h, w], fused.GetShape());
                float[] actual = fused.ToArray();
                for (int i = 0; i < actual.Length; i++)
                {
                    Assert.True(float.IsFinite(actual[i]), $"element {i} is {actual[i]}");
                    Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-5f, $"element {i}: {actual[i]} against {expected[i]}");
                }

                first ??= actual;
                Assert.Equal(first, actual);
            }
            finally
            {
                TensorOptions.NumThreads = saved;
            }
        }
    }

    [Fact]
    public void LogitsFarBeyondExpsRange_GiveTheirMode()
    {
        // Scaled logits of ±10⁴ (exp overflows above 88): without the maximum subtracted the sums would be ∞/∞.
        var values = Tensor.Wrap([1f, 2f, 3f, 10f, 20f, 30f], 2, 3, 1, 1);
        var x = Tensor.Wrap([0f, 5000f, -5000f, 0f, 0f, 4999f], 1, 3, 1, 2);   // channel-major: 2 positions per class
        var identity = Tensor.Wrap([1f, 0, 0, 0, 1f, 0, 0, 0, 1f], 3, 3, 1, 1);
        Tensor y;
        using (Tensor.NoGrad())
        {
            y = Functional.SoftmaxExpectation(x, identity, null, 2f, values);
        }

        // Position 0: logits (0, −5000, 0) → the mean of classes 0 and 2; position 1: (5000, 0, 4999) → class 0, and
        // class 2 at e^−2 relative weight.
        float w2 = MathF.Exp(-2f) / (1 + MathF.Exp(-2f));
        Assert.Equal([2f, 20f], [y[0, 0, 0, 0], y[0, 1, 0, 0]]);
        Assert.Equal(1 + (2 * w2), y[0, 0, 0, 1], 5);
        Assert.Equal(10 + (20 * w2), y[0, 1, 0, 1], 4);
    }

    [Fact]
    public void WhenRecording_IsTheSeparateOps_AndDifferentiable()
    {
        var (x, weight, bias, values) = Inputs(1, 8, 261, 6, 10, withBias: true, seed: 9);
        float[] expected = Unfused(x, weight, bias, values).ToArray();
        weight.SetRequiresGrad();
        var y = Functional.SoftmaxExpectation(x, weight, bias, Scale, values);
        Assert.NotNull(y.GradFn);
        Assert.Equal(expected, y.ToArray());
        y.Sum().Backward();
        Assert.NotNull(weight.Grad);
        Assert.Contains(weight.Grad!.ToArray(), g => g != 0);
    }

    [Fact]
    public void RefusesShapesThatDoNotFit()
    {
        var (x, weight, bias, values) = Inputs(1, 8, 11, 2, 2, withBias: true, seed: 1);
        Assert.Throws<ArgumentException>(() => Functional.SoftmaxExpectation(x, Tensor.Zeros(11, 8, 3, 3), bias, 1f, values));
        Assert.Throws<ArgumentException>(() => Functional.SoftmaxExpectation(x, weight, Tensor.Zeros(10), 1f, values));
        Assert.Throws<ArgumentException>(() => Functional.SoftmaxExpectation(x, weight, bias, 1f, Tensor.Zeros(2, 10, 1, 1)));
        Assert.Throws<ArgumentException>(() => Functional.SoftmaxExpectation(Tensor.Zeros(1, 7, 2, 2), weight, bias, 1f, values));
    }

    /// <summary>The reference: conv, × scale, softmax over the channels, conv with the values (the class head's Decode).</summary>
    private static Tensor Unfused(Tensor x, Tensor weight, Tensor? bias, Tensor values)
    {
        using (Tensor.NoGrad())
        {
            return Functional.Conv2d(Functional.Softmax(Functional.Conv2d(x, weight, bias).Mul(Scale), 1), values);
        }
    }

    /// <summary>Logits spread over about ±50 (±130 after the scale), values in −1..1 as the bin centres / 110.</summary>
    private static (Tensor X, Tensor Weight, Tensor? Bias, Tensor Values) Inputs(int n, int c, int q, int h, int w, bool withBias, ulong seed)
    {
        var gen = new Generator(seed);
        var x = Tensor.Randn(gen, n, c, h, w);
        var weight = Tensor.Randn(gen, 0f, 15f / MathF.Sqrt(c), q, c, 1, 1);
        Tensor? bias = withBias ? Tensor.Rand(gen, -35f, 35f, q) : null;
        var values = Tensor.Rand(gen, -1f, 1f, 2, q, 1, 1);
        return (x, weight, bias, values);
    }
}

using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The fused ReLU → PixelShuffle → replicate pad (1, 0, 1, 0) → 2×2 average (stride 1) of DeOldify's decoder gives
/// the separate ops' bits, and under autograd is those ops.
/// </summary>
[Collection("TensorOptions")]
public sealed class PixelShuffleBlurTests
{
    [Theory]
    [InlineData(2, 12, 5, 7, 2, true)]    // odd sizes: vector blocks and scalar tails
    [InlineData(1, 8, 16, 16, 2, true)]   // output rows wider than a vector
    [InlineData(1, 4, 3, 1, 2, false)]    // one input column, no ReLU (negative values averaged)
    [InlineData(2, 18, 4, 6, 3, true)]    // another factor
    [InlineData(1, 3, 2, 9, 1, true)]     // factor 1: ReLU and blur only
    public void GivesTheSeparateOpsBits(int n, int c, int h, int w, int r, bool relu)
    {
        var x = Tensor.Randn(new Generator(9), n, c, h, w);
        var separate = Separate(x, r, relu);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = TensorOptions.NumThreads;
            try
            {
                TensorOptions.NumThreads = threads;
                Tensor fused;
                using (Tensor.NoGrad())
                {
                    fused = Functional.PixelShuffleBlur(x, r, relu);
                }

                Assert.Equal(separate.GetShape(), fused.GetShape());
                Assert.Equal(separate.ToArray(), fused.ToArray());
            }
            finally
            {
                TensorOptions.NumThreads = saved;
            }
        }
    }

    [Fact]
    public void UnderAutograd_GivesTheSeparateOpsGradient()
    {
        var gen = new Generator(10);
        var x = Tensor.Randn(gen, 2, 8, 3, 5).SetRequiresGrad();
        var upstream = Tensor.Randn(gen, 2, 2, 6, 10);
        (Functional.PixelShuffleBlur(x, 2) * upstream).Sum().Backward();
        var fused = x.Grad!.ToArray();
        x.Grad = null;
        (Separate(x, 2, relu: true) * upstream).Sum().Backward();
        Assert.Equal(x.Grad!.ToArray(), fused);
    }

    [Fact]
    public void ChannelsNotDivisibleByTheFactorSquared_AreRefused()
    {
        using (Tensor.NoGrad())
        {
            Assert.Throws<ArgumentException>(() => Functional.PixelShuffleBlur(Tensor.Zeros(1, 6, 2, 2), 2));
        }
    }

    private static Tensor Separate(Tensor x, int r, bool relu) =>
        Functional.AvgPool2d(Functional.Pad(Functional.PixelShuffle(relu ? x.Relu() : x, r), (1, 0, 1, 0), PaddingMode.Replicate), 2, stride: 1);
}

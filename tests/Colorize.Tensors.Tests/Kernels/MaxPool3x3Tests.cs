using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The 3×3, stride 2, padding 1 max pooling of a ResNet stem, when nothing is recorded, takes a separable path
/// without indices; it must give the bits of the window scan the recorded path runs (NaN payloads, ±0 ties and −∞
/// included) at any thread count.
/// </summary>
[Collection("TensorOptions")]
public sealed class MaxPool3x3Tests
{
    [Theory]
    [InlineData(2, 3, 9, 38)]    // odd height: the last window has two rows
    [InlineData(1, 2, 8, 8)]
    [InlineData(1, 1, 17, 41)]   // odd width: the last window has two columns; vector blocks and tails
    [InlineData(1, 2, 64, 70)]   // rows wider than two vectors
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 1, 1, 6)]
    [InlineData(1, 1, 5, 1)]
    [InlineData(1, 1, 2, 3)]
    public void GivesTheWindowScansBits(int n, int c, int h, int w)
    {
        foreach (int seed in new[] { 1, 2 })
        {
            var x = Tensor.FromArray(Values(n * c * h * w, seed), n, c, h, w);
            // Recorded: the general scan with indices.
            var expected = Functional.MaxPool2d(x.Clone().SetRequiresGrad(), 3, 2, 1).ToArray();
            foreach (int threads in new[] { 1, 2, 3 })
            {
                int saved = TensorOptions.NumThreads;
                try
                {
                    TensorOptions.NumThreads = threads;
                    Tensor actual;
                    using (Tensor.NoGrad())
                    {
                        actual = Functional.MaxPool2d(x, 3, 2, 1);
                    }

                    Assert.Equal([n, c, ((h - 1) / 2) + 1, ((w - 1) / 2) + 1], actual.GetShape());
                    Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.ToArray().Select(BitConverter.SingleToInt32Bits));
                }
                finally
                {
                    TensorOptions.NumThreads = saved;
                }
            }
        }
    }

    [Fact]
    public void UnderAutograd_TheGradientStillReachesTheChosenElements()
    {
        var x = Tensor.FromArray([1f, 5f, 2f, 0f, 3f, 4f, 9f, 8f, 7f], 1, 1, 3, 3).SetRequiresGrad();
        var y = Functional.MaxPool2d(x, 3, 2, 1);
        Assert.Equal([5f, 5f, 9f, 8f], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([0f, 2f, 0f, 0f, 0f, 0f, 1f, 1f, 0f], x.Grad!.ToArray());
    }

    /// <summary>Values from a small set (many ties, −0 beside +0), a few −∞ and NaNs of distinct payloads.</summary>
    private static float[] Values(int length, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = rng.Next(16) switch
            {
                0 => BitConverter.Int32BitsToSingle(unchecked((int)0x7FC00000u | rng.Next(1, 1 << 20))),
                1 => float.NegativeInfinity,
                2 => -0f,
                _ => rng.Next(-3, 4) * 0.5f,
            };
        }

        return values;
    }
}

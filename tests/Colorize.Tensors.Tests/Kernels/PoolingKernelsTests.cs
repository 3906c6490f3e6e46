using Colorize.Tensors.NN;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The 2×2 max-pooling fast path against a plain window scan (values, chosen indices, ties and NaNs), and
/// <see cref="Functional.MaxPool2d(Tensor, int, int?, int, int, bool)"/>'s forward and gradient through it.
/// </summary>
public sealed class PoolingKernelsTests
{
    [Theory]
    [InlineData(8, 8)]
    [InlineData(7, 9)]    // odd sizes: the last row and column belong to no window
    [InlineData(2, 34)]   // two vector blocks of eight windows and a scalar tail
    [InlineData(5, 32)]   // whole vector blocks only
    [InlineData(1, 4)]    // no whole window: an empty output
    public void MaxPool2x2_MatchesTheWindowScan(int h, int w)
    {
        int ho = h / 2, wo = w / 2;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            float[] plane = PlaneWithTiesAndNaNs(h * w, seed);
            var output = new float[ho * wo];
            var indices = new int[ho * wo];
            PoolingKernels.MaxPool2x2(plane, h, w, output, indices, ho, wo);
            var (expected, expectedIndices) = Reference(plane, h, w, ho, wo);
            Assert.Equal(expectedIndices, indices);
            for (int i = 0; i < output.Length; i++)
            {
                // Bit equality, NaN included: the kernel must take the very element the scan takes.
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(output[i]));
            }
        }
    }

    [Theory]
    [InlineData(7, 9)]
    [InlineData(4, 34)]
    public void MaxPool2x2Backward_IsTheScatterIntoZeros(int h, int w)
    {
        int ho = h / 2, wo = w / 2;
        float[] plane = PlaneWithTiesAndNaNs(h * w, 4);
        var output = new float[ho * wo];
        var indices = new int[ho * wo];
        PoolingKernels.MaxPool2x2(plane, h, w, output, indices, ho, wo);
        float[] gradOutput = PlaneWithTiesAndNaNs(ho * wo, 5);
        gradOutput[0] = -0f;
        var expected = new float[h * w];
        for (int o = 0; o < gradOutput.Length; o++)
        {
            expected[indices[o]] += gradOutput[o];
        }

        var actual = Enumerable.Repeat(float.NaN, h * w).ToArray();
        PoolingKernels.MaxPool2x2Backward(gradOutput, indices, ho, wo, actual, h, w);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void MaxPool2x2_RejectsWindowsOutsideThePlane()
    {
        Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2x2(new float[9], 3, 3, new float[4], new int[4], 2, 2));
    }

    [Fact]
    public void MaxPool2d_ForwardAndGradientGoThroughTheChosenElements()
    {
        int n = 2, c = 3, h = 9, w = 38;
        float[] data = PlaneWithTiesAndNaNs(n * c * h * w, 7);
        // NaNs would make the gradient check meaningless; ties stay.
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = float.IsNaN(data[i]) ? -5f : data[i];
        }

        var x = Tensor.FromArray(data, n, c, h, w).SetRequiresGrad();
        var y = Functional.MaxPool2d(x, 2);
        int ho = 4, wo = 19;
        Assert.Equal([n, c, ho, wo], y.GetShape());
        var weights = Tensor.FromArray(Enumerable.Range(0, y.Count).Select(i => 1f + i).ToArray(), y.GetShape());
        (y * weights).Sum().Backward();

        var expectedGrad = new float[data.Length];
        for (int p = 0; p < n * c; p++)
        {
            var (values, indices) = Reference(data.AsSpan(p * h * w, h * w).ToArray(), h, w, ho, wo);
            for (int i = 0; i < values.Length; i++)
            {
                Assert.Equal(values[i], y.Data[(p * ho * wo) + i]);
                expectedGrad[(p * h * w) + indices[i]] += weights.Data[(p * ho * wo) + i];
            }
        }

        Assert.Equal(expectedGrad, x.Grad!.ToArray());
    }

    /// <summary>Values from a small set (many ties), with a few NaNs.</summary>
    private static float[] PlaneWithTiesAndNaNs(int length, int seed)
    {
        var rng = new Random(seed);
        var plane = new float[length];
        for (int i = 0; i < length; i++)
        {
            plane[i] = rng.Next(12) == 0 ? float.NaN : rng.Next(-3, 4) * 0.5f;
        }

        return plane;
    }

    /// <summary>The definition: scan each window row by row; take the first element, then any greater one or a NaN, and stop at a NaN.</summary>
    private static (float[] Values, int[] Indices) Reference(float[] plane, int h, int w, int ho, int wo)
    {
        var values = new float[ho * wo];
        var indices = new int[ho * wo];
        for (int oy = 0; oy < ho; oy++)
        {
            for (int ox = 0; ox < wo; ox++)
            {
                int best = -1;
                foreach (int i in new[] { (2 * oy * w) + (2 * ox), (2 * oy * w) + (2 * ox) + 1, (((2 * oy) + 1) * w) + (2 * ox), (((2 * oy) + 1) * w) + (2 * ox) + 1 })
                {
                    if (best < 0 || plane[i] > plane[best] || float.IsNaN(plane[i]))
                    {
                        best = i;
                        if (float.IsNaN(plane[i]))
                        {
                            break;
                        }
                    }
                }

                values[(oy * wo) + ox] = plane[best];
                indices[(oy * wo) + ox] = best;
            }
        }

        return (values, indices);
    }
}

using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// The fixtures are small, so they never reach the chunked multi-threaded paths (work is split above 32 768
/// elements). These cases use shapes past that threshold and compare with straightforward float64 loops written
/// here, index by index — an independent reference, like the fixtures, just one that needs no storage.
/// </summary>
public sealed class LargeShapeTests
{
    private static Tensor Random(int seed, params int[] shape) => Tensor.Randn(new Generator((ulong)seed), shape);

    private static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }

        return s;
    }

    /// <summary>The flat index into a broadcast operand of shape <paramref name="operand"/> for output multi-index <paramref name="idx"/>.</summary>
    private static int BroadcastIndex(int[] idx, int[] operand)
    {
        int lead = idx.Length - operand.Length, flat = 0;
        var strides = Strides(operand);
        for (int d = 0; d < operand.Length; d++)
        {
            flat += (operand[d] == 1 ? 0 : idx[d + lead]) * strides[d];
        }

        return flat;
    }

    private static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }

        return idx;
    }

    [Theory]
    [InlineData(new[] { 12, 1, 20, 33 }, new[] { 1, 16, 20, 1 })]
    [InlineData(new[] { 8, 50, 1, 90 }, new[] { 90 })]
    [InlineData(new[] { 300, 1 }, new[] { 1, 257 })]
    [InlineData(new[] { 3, 200, 77 }, new[] { 3, 200, 77 })]
    public void BroadcastBinaryOps_AndTheirGradients_MatchIndexByIndexLoops(int[] shapeA, int[] shapeB)
    {
        var a = Random(1, shapeA).SetRequiresGrad();
        var b = Random(2, shapeB).Add(3f).SetRequiresGrad(); // away from zero for the division
        var outShape = ShapeOf(shapeA, shapeB);
        int count = outShape.Aggregate(1, (x, y) => x * y);
        Assert.True(count > 32_768, "the case must exceed the single-thread threshold");

        var sum = a + b;
        var prod = a * b;
        var quot = a / b;
        var (ad, bd) = (a.ToArray(), b.ToArray());
        for (int i = 0; i < count; i++)
        {
            var idx = Unravel(i, outShape);
            double x = ad[BroadcastIndex(idx, shapeA)], y = bd[BroadcastIndex(idx, shapeB)];
            Assert.Equal(x + y, sum.Data[i], 1e-5);
            Assert.Equal(x * y, prod.Data[i], 1e-5);
            Assert.Equal(x / y, quot.Data[i], 1e-5);
        }

        // d(Σ prod·g)/da sums g·b over the broadcast dimensions of a.
        var g = Random(3, outShape);
        prod.Backward(g);
        var expectedA = new double[ad.Length];
        var expectedB = new double[bd.Length];
        for (int i = 0; i < count; i++)
        {
            var idx = Unravel(i, outShape);
            int ia = BroadcastIndex(idx, shapeA), ib = BroadcastIndex(idx, shapeB);
            expectedA[ia] += g.Data[i] * (double)bd[ib];
            expectedB[ib] += g.Data[i] * (double)ad[ia];
        }

        GoldenAssert.Close(Tensor.FromArray(Array.ConvertAll(expectedA, v => (float)v), shapeA), a.Grad, "gradient of a", rtol: 1e-4, atol: 1e-4);
        GoldenAssert.Close(Tensor.FromArray(Array.ConvertAll(expectedB, v => (float)v), shapeB), b.Grad, "gradient of b", rtol: 1e-4, atol: 1e-4);
    }

    private static int[] ShapeOf(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            shape[i] = Math.Max(da, db);
        }

        return shape;
    }

    [Fact]
    public void Unary_And_Softmax_OnLargeTensors_MatchLoops()
    {
        var x = Random(4, 6, 190, 41);
        var exp = x.Exp();
        var tanh = x.Tanh();
        var lrelu = x.LeakyRelu(0.2f);
        for (int i = 0; i < x.Count; i++)
        {
            double v = x.Data[i];
            Assert.Equal(Math.Exp(v), exp.Data[i], Math.Exp(v) * 1e-6);
            Assert.Equal(Math.Tanh(v), tanh.Data[i], 1e-6);
            Assert.Equal(v > 0 ? v : 0.2 * v, lrelu.Data[i], 1e-7);
        }

        var soft = Functional.Softmax(x, 1);
        for (int o = 0; o < 6; o++)
        {
            for (int k = 0; k < 41; k++)
            {
                double max = double.NegativeInfinity, total = 0;
                for (int r = 0; r < 190; r++)
                {
                    max = Math.Max(max, x[o, r, k]);
                }

                for (int r = 0; r < 190; r++)
                {
                    total += Math.Exp(x[o, r, k] - max);
                }

                for (int r = 0; r < 190; r++)
                {
                    Assert.Equal(Math.Exp(x[o, r, k] - max) / total, soft[o, r, k], 1e-7);
                }
            }
        }
    }

    [Fact]
    public void Softmax_OverAStridedDimension_HasTheBitsOfTheContiguousOne()
    {
        // Dim 1 of [3, 70, 300] is walked in blocks of columns (300 = one full block and a partial one); the last
        // dim of the transposed copy is walked row by row: every element must get the same operations.
        var x = Random(5, 3, 70, 300) * 8f;
        var strided = Functional.Softmax(x, 1);
        var contiguous = Functional.Softmax(x.Transpose(1, 2), 2).Transpose(1, 2);
        Assert.Equal(contiguous.ToArray(), strided.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void SumAndMean_OverOneDimOfALargeTensor_MatchDoubleLoops(int dim)
    {
        int[] shape = [37, 61, 45];
        var x = Random(5, shape);
        var sum = x.Sum(dim);
        var mean = x.Mean(dim, keepDim: true);
        var outShape = shape.Where((_, i) => i != dim).ToArray();
        var expected = new double[outShape[0] * outShape[1]];
        var data = x.Data;
        for (int i = 0, flat = 0; i < shape[0]; i++)
        {
            for (int j = 0; j < shape[1]; j++)
            {
                for (int k = 0; k < shape[2]; k++, flat++)
                {
                    int target = dim switch { 0 => (j * shape[2]) + k, 1 => (i * shape[2]) + k, _ => (i * shape[1]) + j };
                    expected[target] += data[flat];
                }
            }
        }

        GoldenAssert.Close(Tensor.FromArray(Array.ConvertAll(expected, v => (float)v), outShape), sum, $"sum over dim {dim}", atol: 1e-4);
        GoldenAssert.Close(Tensor.FromArray(Array.ConvertAll(expected, v => (float)(v / shape[dim])), outShape), mean.Reshape(outShape), $"mean over dim {dim}");
    }

    [Fact]
    public void SumOfAMillionElements_IsAccurate()
    {
        // Losses average over whole batches of images; the sum must not drift with the element count.
        var x = Tensor.Rand(new Generator(6), 1 << 20);
        double exact = 0;
        foreach (float v in x.Data)
        {
            exact += v;
        }

        double relative = Math.Abs(x.Sum().Item() - exact) / exact;
        Assert.True(relative < 1e-5, $"relative error {relative:G3} of a 2^20-element sum");
        Assert.True(Math.Abs(x.Mean().Item() - (exact / x.Count)) / (exact / x.Count) < 1e-5, "mean");
    }

    [Fact]
    public void Permute_Cat_And_Slice_OfLargeTensors_MoveEveryElement()
    {
        var x = Random(7, 3, 33, 17, 23);
        var p = x.Permute(3, 1, 0, 2);
        for (int i = 0; i < p.Count; i++)
        {
            var idx = Unravel(i, p.GetShape());
            Assert.Equal(x[idx[2], idx[1], idx[3], idx[0]], p.Data[i]);
        }

        var y = Random(8, 3, 20, 17, 23);
        var cat = Tensor.Cat([x, y], 1);
        for (int i = 0; i < cat.Count; i++)
        {
            var idx = Unravel(i, cat.GetShape());
            float expected = idx[1] < 33 ? x[idx[0], idx[1], idx[2], idx[3]] : y[idx[0], idx[1] - 33, idx[2], idx[3]];
            Assert.Equal(expected, cat.Data[i]);
        }

        var slice = x.Slice(1, 2, 31, 3);
        for (int i = 0; i < slice.Count; i++)
        {
            var idx = Unravel(i, slice.GetShape());
            Assert.Equal(x[idx[0], 2 + (3 * idx[1]), idx[2], idx[3]], slice.Data[i]);
        }
    }
}

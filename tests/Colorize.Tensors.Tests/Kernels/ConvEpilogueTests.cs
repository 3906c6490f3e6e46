using System.Numerics.Tensors;
using Colorize.Tensors.Kernels;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// A convolution's epilogue (bias, addend, ReLU applied as the output is written) gives the bits of the separate
/// ops on every path (direct, phase planes, implicit im2col, pointwise, several images per chunk), at any thread
/// count; the layers and the optimiser that use it compute what they did before.
/// </summary>
[Collection("TensorOptions")]
public sealed class ConvEpilogueTests
{
    public static TheoryData<int[]> Shapes()
    {
        var shapes = new TheoryData<int[]>
        {
            new[] { 2, 16, 12, 13, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // 3×3 stride 1, 144 im2col rows: phase planes
            new[] { 1, 8, 33, 35, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   // phase planes, rows wider than a vector
            new[] { 4, 24, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    // small maps: phase planes over several images
        };
        foreach (var shape in ConvolutionTests.Shapes())
        {
            shapes.Add(shape);
        }

        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void GivesTheSeparateOpsBits(int[] p)
    {
        var s = new Conv2dShape(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 1), w = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] bias = GemmTests.RandomArray(s.OutChannels, 3), addend = GemmTests.RandomArray((int)s.OutputLength, 4);
        foreach (int chunk in new[] { 0, 7, 40 })
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                float[] separate = new float[s.OutputLength];
                Convolution.Conv2dForward(s, x, w, bias, separate, threads, chunk);
                TensorPrimitives.Add(separate, addend, separate);
                TensorPrimitives.Max(separate, 0f, separate);

                float[] fused = new float[s.OutputLength];
                Array.Fill(fused, float.NaN);
                fixed (float* pb = bias)
                fixed (float* pa = addend)
                {
                    Convolution.Conv2dForward(s, x, w, fused, threads, new ConvEpilogue(pb, pa, relu: true), chunk);
                }

                Assert.Equal(separate, fused);

                // The addend after the ReLU (a residual branch ending in a ReLU, added to its input).
                Convolution.Conv2dForward(s, x, w, bias, separate, threads, chunk);
                TensorPrimitives.Max(separate, 0f, separate);
                TensorPrimitives.Add(addend, separate, separate);
                Array.Fill(fused, float.NaN);
                fixed (float* pb = bias)
                fixed (float* pa = addend)
                {
                    Convolution.Conv2dForward(s, x, w, fused, threads, new ConvEpilogue(pb, pa, relu: true, addendAfterRelu: true), chunk);
                }

                Assert.Equal(separate, fused);
            }
        }
    }

    [Fact]
    public void Conv2dCall_WithoutAutograd_GivesTheRecordedOpsBits()
    {
        var gen = new Generator(41);
        var conv = new Conv2d(6, 5, 3, padding: 1, generator: gen);
        var x = Tensor.Randn(gen, 2, 6, 9, 10);
        var addend = Tensor.Randn(gen, 2, 5, 9, 10);
        var recorded = conv.Call(x, addend, relu: true);
        Assert.NotNull(recorded.GradFn);
        Assert.Equal((conv.Call(x) + addend).Relu().ToArray(), recorded.ToArray());
        using (Tensor.NoGrad())
        {
            Assert.Equal(recorded.ToArray(), conv.Call(x, addend, relu: true).ToArray());
            Assert.Equal(conv.Call(x).Relu().ToArray(), conv.Call(x, null, relu: true).ToArray());
            Assert.Throws<ArgumentException>(() => conv.Call(x, Tensor.Zeros(2, 5, 9, 9), relu: false));
        }

        var after = conv.Call(x, addend, relu: true, addendAfterReLU: true);
        Assert.NotNull(after.GradFn);
        Assert.Equal((addend + conv.Call(x).Relu()).ToArray(), after.ToArray());
        using (Tensor.NoGrad())
        {
            Assert.Equal(after.ToArray(), conv.Call(x, addend, relu: true, addendAfterReLU: true).ToArray());
        }
    }

    [Fact]
    public void CatRelu_GivesTheBitsOfCatThenRelu_WithAndWithoutAutograd()
    {
        var gen = new Generator(43);
        var a = Tensor.Randn(gen, 2, 3, 70, 90);
        var b = Tensor.Randn(gen, 2, 5, 70, 90);
        b.Data[7] = float.NaN;
        b.Data[8] = -0f;
        var c = Tensor.Randn(gen, 2, 3, 11, 90);
        float[] expected = Tensor.Cat([a, b], 1).Relu().ToArray();
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = TensorOptions.NumThreads;
            try
            {
                TensorOptions.NumThreads = threads;
                Assert.Equal(expected, Functional.CatRelu([a, b], 1).ToArray());
                Assert.Equal(Tensor.Cat([a, c], 2).Relu().ToArray(), Functional.CatRelu([a, c], 2).ToArray());
            }
            finally
            {
                TensorOptions.NumThreads = saved;
            }
        }

        var grad = a.Detach().SetRequiresGrad();
        var recorded = Functional.CatRelu([grad, b], 1);
        Assert.Equal(expected, recorded.ToArray());
        recorded.Sum().Backward();
        Assert.Equal(a.ToArray().Select(v => v > 0 ? 1f : 0f), grad.Grad!.ToArray());
    }

    [Fact]
    public void FuseReLU_MovesTheReLUAfterAConvolutionIntoIt_WithTheSameBits()
    {
        var gen = new Generator(42);
        var net = new Sequential(
            new Conv2d(3, 8, 3, padding: 1, generator: gen), new ReLU(),
            new Conv2d(8, 8, 3, padding: 1, generator: gen), new Identity(), new ReLU(),
            new ReLU(),
            new Conv2d(8, 4, 1, generator: gen), new LeakyReLU(0.2f));
        net.Eval();
        var x = Tensor.Randn(gen, 2, 3, 7, 6);
        float[] before;
        using (Tensor.NoGrad())
        {
            before = net.Call(x).ToArray();
        }

        // The first two ReLUs: the third follows a ReLU, and a LeakyReLU is not one.
        Assert.Equal(2, InferenceOptimizer.FuseReLU(net));
        Assert.Equal(1, net.NamedModules().Count(m => m.Module is ReLU));
        using (Tensor.NoGrad())
        {
            Assert.Equal(before, net.Call(x).ToArray());
        }

        // Under autograd the fused layer records the ReLU it took over.
        Assert.Equal(before, net.Call(x).ToArray());
        Assert.Equal(0, InferenceOptimizer.FuseReLU(net));
    }
}

using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The transposed small-map convolution path (positions as the GEMM's rows, channels as its columns) gives the bits of
/// the implicit-im2col path, which <see cref="ConvolutionTests"/> checks against the definition, at any thread count,
/// with its epilogue; and it is chosen only where its tiles cover the product more tightly.
/// </summary>
public sealed class TransposedConvolutionTests
{
    // N, Cin, H, W, Cout, kH, kW, sH, sW, pH, pW, dH, dW (one group)
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 8, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1 },      // 7×7 map: 49 positions, not a multiple of any row tile
        new[] { 1, 40, 14, 14, 96, 3, 3, 1, 1, 1, 1, 1, 1 },   // 14×14, 360 im2col rows: two K blocks
        new[] { 1, 30, 5, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1 },      // fewer channels than a column tile, 15 positions
        new[] { 1, 12, 6, 6, 33, 3, 3, 1, 1, 1, 1, 1, 1 },     // one channel past a column tile
        new[] { 1, 16, 1, 1, 32, 3, 3, 1, 1, 1, 1, 1, 1 },     // 1×1 map, padded 3×3: only the centre tap is inside
        new[] { 1, 48, 1, 1, 40, 1, 1, 1, 1, 0, 0, 1, 1 },     // 1×1 map, pointwise
        new[] { 3, 10, 5, 5, 24, 3, 3, 1, 1, 1, 1, 1, 1 },     // three images: row tiles cross image boundaries
        new[] { 2, 6, 9, 9, 20, 3, 3, 2, 2, 1, 1, 1, 1 },      // stride 2
        new[] { 1, 7, 8, 8, 18, 3, 3, 1, 1, 2, 2, 2, 2 },      // dilated
        new[] { 1, 64, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1 },    // ResNet18 layer4's shape, fewer input channels
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_GivesTheIm2ColPathsBits_AtAnyThreadCount(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] input = GemmTests.RandomArray((int)s.InputLength, 1), weight = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] expected = new float[s.OutputLength];
        // A forced chunk width keeps Conv2dForward on its implicit-im2col path.
        Convolution.Conv2dForward(s, input, weight, [], expected, 1, chunkColumns: 37);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[] actual = new float[s.OutputLength];
            Array.Fill(actual, float.NaN);
            TransposedConvolution.Forward(s, input, weight, actual, threads, default);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_WithSmallBlocks_SplitsAmongThreadsWithTheSameBits(int[] p)
    {
        // Tiny K blocks and no minimum work per thread: several K blocks, and parts split by channels or positions.
        Conv2dShape s = ShapeOf(p);
        float[] input = GemmTests.RandomArray((int)s.InputLength, 3), weight = GemmTests.RandomArray((int)s.WeightLength, 4);
        GemmConfig config = GemmConfig.For(Gemm.DefaultKernel, s.Batch * s.OutSpatial, s.OutChannels).WithBlocking(kc: 7, mc: 64, nc: 64, minMultiplyAddsPerThread: 1);
        float[] oneThread = new float[s.OutputLength];
        TransposedConvolution.Forward(s, input, weight, oneThread, 1, default, config);
        foreach (int threads in new[] { 2, 3, 5 })
        {
            float[] actual = new float[s.OutputLength];
            TransposedConvolution.Forward(s, input, weight, actual, threads, default, config);
            Assert.Equal(oneThread, actual);
        }

        // The same blocking through the usual product (im2col) gives these bits too.
        float[] usual = new float[s.OutputLength];
        unsafe
        {
            fixed (float* pin = input)
            fixed (float* pw = weight)
            fixed (float* po = usual)
            {
                var packer = new Im2ColBPacker(s, pin, s.InChannels * s.InSpatial, s.Batch, 0);
                GemmConfig u = GemmConfig.For(Gemm.DefaultKernel, s.OutChannels, s.Batch * s.OutSpatial).WithBlocking(kc: 7, mc: 64, nc: 64);
                float[] c = new float[s.OutChannels * s.Batch * s.OutSpatial];
                fixed (float* pc = c)
                {
                    Gemm.Run(u, false, s.OutChannels, s.Batch * s.OutSpatial, s.ColumnRows, 1f, pw, s.ColumnRows, packer, 0f, pc, s.Batch * s.OutSpatial, 1);
                }

                // [Cout, N·spatial] to [N, Cout, spatial].
                for (int n = 0; n < s.Batch; n++)
                {
                    for (int co = 0; co < s.OutChannels; co++)
                    {
                        Array.Copy(c, (co * s.Batch * s.OutSpatial) + (n * s.OutSpatial), usual, ((n * s.OutChannels) + co) * s.OutSpatial, s.OutSpatial);
                    }
                }
            }
        }

        Assert.Equal(usual, oneThread);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public unsafe void Epilogue_GivesTheSeparateOpsBits(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 5), w = GemmTests.RandomArray((int)s.WeightLength, 6);
        float[] bias = GemmTests.RandomArray(s.OutChannels, 7), addend = GemmTests.RandomArray((int)s.OutputLength, 8);
        float[] separate = new float[s.OutputLength];
        Convolution.Conv2dForward(s, x, w, bias, separate, 1, chunkColumns: 37);
        for (int i = 0; i < separate.Length; i++)
        {
            separate[i] = MathF.Max(separate[i] + addend[i], 0f);
        }

        foreach (int threads in new[] { 1, 2 })
        {
            float[] fused = new float[s.OutputLength];
            fixed (float* pb = bias)
            fixed (float* pa = addend)
            {
                TransposedConvolution.Forward(s, x, w, fused, threads, new ConvEpilogue(pb, pa, relu: true));
            }

            Assert.Equal(separate, fused);
        }
    }

    [Fact]
    public void Applies_ToSmallMapsWhereItsTilesCoverMoreTightly()
    {
        // ResNet18 at 224²: layer4 (7×7) and layer3 (14×14); the generator at 256²: layer3 (16×16); not layer2 (28×28, 32×32: too many positions).
        Assert.True(TransposedConvolution.Applies(new Conv2dShape(1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1)));
        Assert.True(TransposedConvolution.Applies(new Conv2dShape(1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1)));
        Assert.True(TransposedConvolution.Applies(new Conv2dShape(1, 256, 16, 16, 256, 3, 3, 1, 1, 1, 1)));
        Assert.False(TransposedConvolution.Applies(new Conv2dShape(1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1)));
        Assert.False(TransposedConvolution.Applies(new Conv2dShape(1, 128, 32, 32, 128, 3, 3, 1, 1, 1, 1)));
        // A batch counts all its positions.
        Assert.False(TransposedConvolution.Applies(new Conv2dShape(8, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1)));
        // Groups, and one output channel (the direct path), are not taken.
        Assert.False(TransposedConvolution.Applies(new Conv2dShape(1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2)));
        Assert.False(TransposedConvolution.Applies(new Conv2dShape(1, 64, 7, 7, 1, 3, 3, 1, 1, 1, 1)));
        if (Gemm.DefaultKernel == GemmKernelKind.Avx512)
        {
            // 8×8 maps: 64 positions fill two 32-column tiles already, so the usual product stays.
            Assert.False(TransposedConvolution.Applies(new Conv2dShape(1, 512, 8, 8, 1024, 3, 3, 1, 1, 1, 1)));
        }
    }

    private static Conv2dShape ShapeOf(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], 1);
}

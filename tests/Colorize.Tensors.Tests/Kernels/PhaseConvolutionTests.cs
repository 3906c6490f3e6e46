using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

/// <summary>
/// The phase-plane convolution path (forward and weight gradient) against the implicit-im2col path, which
/// <see cref="ConvolutionTests"/> checks against the definition; and its determinism across threads and chunkings.
/// </summary>
public sealed class PhaseConvolutionTests
{
    // N, Cin, H, W, Cout, kH, kW, sH, sW, pH, pW, dH, dW (one group: the only case the path takes)
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 2, 3, 13, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1 },     // odd sizes, same padding, stride 1
        new[] { 3, 5, 17, 15, 33, 4, 4, 2, 2, 1, 1, 1, 1 },    // PatchGAN-like 4×4 stride 2, odd size, C_out past a panel
        new[] { 2, 4, 10, 9, 6, 4, 4, 1, 1, 1, 1, 1, 1 },      // 4×4 stride 1 (the critic's fourth layer)
        new[] { 1, 2, 40, 70, 16, 3, 3, 1, 1, 1, 1, 1, 1 },    // wide rows, several output rows per panel block
        new[] { 2, 3, 12, 14, 4, 3, 3, 1, 1, 2, 2, 2, 2 },     // dilated with matching padding
        new[] { 2, 2, 11, 13, 3, 5, 4, 3, 2, 2, 3, 1, 1 },     // stride 3 × 2, odd padding: three-by-two phases
        new[] { 2, 3, 9, 8, 4, 3, 3, 2, 2, 0, 0, 1, 1 },       // stride 2 without padding: phases of unequal size
        new[] { 1, 2, 9, 37, 3, 3, 3, 2, 2, 0, 0, 1, 1 },      // stride 2, no padding, rows wide enough for the vector interleave
        new[] { 3, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1 },     // U-Net bottom: 144 rows (not a multiple of 32)
        new[] { 2, 1, 5, 4, 7, 3, 3, 2, 2, 1, 1, 1, 1 },       // one input channel, tiny image
        new[] { 2, 16, 64, 64, 16, 3, 3, 1, 1, 1, 1, 1, 1 },   // big enough for the plane copies to be split between two threads
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_MatchesTheIm2ColPath(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] input = GemmTests.RandomArray((int)s.InputLength, 1), weight = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] expected = new float[s.OutputLength], actual = new float[s.OutputLength];
        // A forced chunk width keeps Conv2dForward on its implicit-im2col path.
        Convolution.Conv2dForward(s, input, weight, [], expected, 1, chunkColumns: 37);
        PhaseConvolution.Forward(s, input, weight, actual, 2);
        AssertClose(expected, actual, s.ColumnRows);

        // Several chunks of images, and another thread count, give the same bits.
        float[] chunked = new float[s.OutputLength];
        PhaseConvolution.Forward(s, input, weight, chunked, 1, chunkBudget: 1);
        Assert.Equal(actual, chunked);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardWeight_MatchesTheIm2ColPath(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] input = GemmTests.RandomArray((int)s.InputLength, 3), dy = GemmTests.RandomArray((int)s.OutputLength, 4);
        float[] expected = new float[s.WeightLength], actual = GemmTests.RandomArray((int)s.WeightLength, 5);
        Convolution.Conv2dBackwardWeight(s, input, dy, expected, [], 1, chunkColumns: 37);
        PhaseConvolution.BackwardWeight(s, input, dy, actual, 2);
        AssertClose(expected, actual, s.Batch * s.OutSpatial);

        float[] oneThread = new float[s.WeightLength];
        PhaseConvolution.BackwardWeight(s, input, dy, oneThread, 1);
        Assert.Equal(actual, oneThread);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardInput_MatchesTheCol2ImPath(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] dy = GemmTests.RandomArray((int)s.OutputLength, 6), weight = GemmTests.RandomArray((int)s.WeightLength, 7);
        float[] expected = new float[s.InputLength], actual = GemmTests.RandomArray((int)s.InputLength, 8);
        Convolution.Conv2dBackwardInput(s, dy, weight, expected, 1, chunkColumns: 37);
        PhaseConvolution.BackwardInput(s, dy, weight, actual, 2);
        AssertClose(expected, actual, s.OutChannels * s.KernelHeight * s.KernelWidth);

        float[] oneThread = GemmTests.RandomArray((int)s.InputLength, 9);
        PhaseConvolution.BackwardInput(s, dy, weight, oneThread, 1);
        Assert.Equal(actual, oneThread);

        // One image per chunk and odd column blocks (another summation order, same values up to rounding).
        float[] blocked = new float[s.InputLength];
        PhaseConvolution.BackwardInput(s, dy, weight, blocked, 2, chunkBudget: 1, blockColumns: 19);
        AssertClose(expected, blocked, s.OutChannels * s.KernelHeight * s.KernelWidth);
    }

    [Fact]
    public void ConvTransposeForward_ThroughThePhasePath_MatchesTheCol2ImPath()
    {
        // The U-Net's up-sampling layer (4×4, stride 2, padding 1) with an output padding row that no input reaches.
        Conv2dShape s = Conv2dShape.ForTransposed(2, 6, 15, 17, 5, 4, 4, 2, 2, 1, 1, 1, 0);
        float[] x = GemmTests.RandomArray((int)s.OutputLength, 10), weight = GemmTests.RandomArray((int)s.WeightLength, 11);
        float[] expected = new float[s.InputLength], actual = new float[s.InputLength];
        Convolution.Conv2dBackwardInput(s, x, weight, expected, 1, chunkColumns: 40);
        PhaseConvolution.BackwardInput(s, x, weight, actual, 2);
        AssertClose(expected, actual, s.OutChannels * 16);
    }

    [Fact]
    public void TheConvolutionEntryPoints_TakeThePhasePath_AndMatchTheIm2ColPath()
    {
        var s = new Conv2dShape(2, 8, 12, 13, 6, 3, 3, 1, 1, 1, 1);
        Assert.True(PhaseConvolution.Applies(s) && PhaseConvolution.AppliesToInputGradient(s));
        float[] x = GemmTests.RandomArray((int)s.InputLength, 12), w = GemmTests.RandomArray((int)s.WeightLength, 13);
        float[] bias = GemmTests.RandomArray(s.OutChannels, 14), dy = GemmTests.RandomArray((int)s.OutputLength, 15);
        float[] y0 = new float[s.OutputLength], y1 = new float[s.OutputLength];
        Convolution.Conv2dForward(s, x, w, bias, y0, 1, chunkColumns: 37);
        Convolution.Conv2dForward(s, x, w, bias, y1, 2);
        AssertClose(y0, y1, s.ColumnRows);
        float[] dx0 = new float[s.InputLength], dx1 = new float[s.InputLength];
        Convolution.Conv2dBackwardInput(s, dy, w, dx0, 1, chunkColumns: 37);
        Convolution.Conv2dBackwardInput(s, dy, w, dx1, 2);
        AssertClose(dx0, dx1, s.OutChannels * 9);
        float[] dw0 = new float[s.WeightLength], dw1 = new float[s.WeightLength], db0 = new float[s.OutChannels], db1 = new float[s.OutChannels];
        Convolution.Conv2dBackwardWeight(s, x, dy, dw0, db0, 1, chunkColumns: 37);
        Convolution.Conv2dBackwardWeight(s, x, dy, dw1, db1, 2);
        AssertClose(dw0, dw1, s.Batch * s.OutSpatial);
        Assert.Equal(db0, db1);
    }

    [Fact]
    public void Applies_OnlyToOneGroupStride1ShapesWithLittleWaste_AndInputGradientsOfSmallInputs()
    {
        Assert.True(PhaseConvolution.Applies(new Conv2dShape(8, 16, 128, 128, 16, 3, 3, 1, 1, 1, 1)));
        Assert.True(PhaseConvolution.Applies(new Conv2dShape(8, 8, 128, 128, 16, 3, 3, 1, 1, 1, 1)));
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 4, 128, 128, 16, 3, 3, 1, 1, 1, 1)));      // 36 im2col rows
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 32, 128, 128, 64, 4, 4, 2, 2, 1, 1)));     // strided
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 16, 128, 128, 16, 3, 3, 1, 1, 1, 1, Groups: 2)));
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 16, 32, 32, 16, 1, 1)));                   // pointwise
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 256, 16, 16, 1, 4, 4, 1, 1, 1, 1)));       // one output channel
        Assert.False(PhaseConvolution.Applies(new Conv2dShape(8, 64, 2, 2, 64, 3, 3, 1, 1, 1, 1)));         // 16 virtual columns for 4
        Assert.False(PhaseConvolution.Applies(Conv2dShape.ForTransposed(8, 32, 64, 64, 16, 2, 2, 2, 2, 0, 0, 0, 0))); // strided (transposed conv)
        Assert.True(PhaseConvolution.AppliesToInputGradient(new Conv2dShape(8, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1)));
        Assert.False(PhaseConvolution.AppliesToInputGradient(new Conv2dShape(8, 16, 128, 128, 16, 3, 3, 1, 1, 1, 1)));
        Assert.False(PhaseConvolution.AppliesToInputGradient(new Conv2dShape(8, 32, 64, 64, 32, 3, 3, 1, 1, 1, 1)));
    }

    private static Conv2dShape ShapeOf(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], 1);

    // The two paths may sum in a different order: allow float rounding that grows with the number of terms summed.
    private static void AssertClose(float[] expected, float[] actual, int terms)
    {
        double tolerance = 1e-6 + (2e-7 * terms);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }
}

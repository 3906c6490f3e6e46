using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.Tests.Kernels;

public sealed class ConvolutionTests
{
    // N, Cin, H, W, Cout, kH, kW, sH, sW, pH, pW, dH, dW, groups
    public static TheoryData<int[]> Shapes() => new()
    {
        new[] { 1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 0, 1, 1, 1 },
        new[] { 3, 4, 9, 11, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2 },
        new[] { 2, 6, 8, 8, 6, 4, 4, 2, 2, 1, 1, 1, 1, 3 },
        new[] { 2, 5, 6, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1 },      // pointwise: straight to GEMM
        new[] { 3, 4, 3, 3, 8, 1, 1, 1, 1, 0, 0, 1, 1, 2 },      // pointwise with groups
        new[] { 1, 3, 7, 7, 2, 1, 1, 2, 2, 0, 0, 1, 1, 1 },      // 1×1 but strided: through im2col
        new[] { 2, 2, 5, 4, 3, 5, 4, 3, 2, 2, 3, 1, 1, 1 },      // kernel as big as the input, odd padding
        new[] { 1, 4, 10, 9, 4, 3, 3, 3, 2, 1, 1, 2, 3, 4 },     // depthwise, dilated, strided
        new[] { 3, 8, 16, 18, 5, 4, 4, 2, 2, 1, 1, 1, 1, 1 },    // pix2pix-like down-sampling
        new[] { 2, 2, 5, 61, 3, 4, 3, 2, 2, 1, 1, 1, 1, 1 },     // wide rows: the vectorised stride-2 gather and scatter
        new[] { 3, 16, 7, 29, 1, 4, 4, 1, 1, 1, 1, 1, 1, 1 },    // PatchGAN logits (one output channel): direct kernels, vectorised rows
        new[] { 2, 5, 11, 9, 1, 3, 4, 2, 3, 2, 1, 2, 1, 1 },     // one output channel, strided and dilated: the channels-last kernels skip taps at every edge
        new[] { 2, 6, 9, 19, 2, 3, 3, 2, 1, 1, 2, 1, 2, 2 },     // one output channel per group, strided rows, dilated
    };

    // The batch's output positions are processed in chunks: automatic (0), or forced narrow widths that split
    // images into pieces (7) and gather several small images into one GEMM (40, when an image has fewer positions).
    private static readonly int[] ChunkWidths = [0, 7, 40];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv2dForward_MatchesDirectConvolution(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 1), w = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] bias = GemmTests.RandomArray(s.OutChannels, 3);
        Naive naive = Naive.Run(s, x, w, dy: null, bias);
        foreach (int chunk in ChunkWidths)
        {
            float[] y = new float[s.OutputLength];
            Array.Fill(y, float.NaN);
            Convolution.Conv2dForward(s, x, w, bias, y, threads: 2, chunk);
            AssertClose(naive.Y, naive.YMagnitude, y, s.ColumnRows, $"y (chunk {chunk})");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv2dBackwardInput_MatchesDirectAdjoint(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] w = GemmTests.RandomArray((int)s.WeightLength, 2), dy = GemmTests.RandomArray((int)s.OutputLength, 4);
        Naive naive = Naive.Run(s, new float[s.InputLength], w, dy, bias: null);
        foreach (int chunk in ChunkWidths)
        {
            float[] dx = new float[s.InputLength];
            Array.Fill(dx, float.NaN);
            Convolution.Conv2dBackwardInput(s, dy, w, dx, threads: 2, chunk);
            AssertClose(naive.DX, naive.DXMagnitude, dx, s.OutChannelsPerGroup * s.KernelHeight * s.KernelWidth, $"dx (chunk {chunk})");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv2dBackwardWeight_MatchesDirectSum(int[] p)
    {
        Conv2dShape s = ShapeOf(p);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 1), dy = GemmTests.RandomArray((int)s.OutputLength, 4);
        Naive naive = Naive.Run(s, x, new float[s.WeightLength], dy, bias: null);
        foreach (int chunk in ChunkWidths)
        {
            float[] dw = new float[s.WeightLength], db = new float[s.OutChannels];
            Array.Fill(dw, float.NaN);
            Array.Fill(db, float.NaN);
            Convolution.Conv2dBackwardWeight(s, x, dy, dw, db, threads: 2, chunk);
            AssertClose(naive.DW, naive.DWMagnitude, dw, s.Batch * s.OutSpatial, $"dw (chunk {chunk})");
            AssertClose(naive.DB, naive.DBMagnitude, db, s.Batch * s.OutSpatial, $"db (chunk {chunk})");
        }
    }

    [Fact]
    public void Conv2dBackwardWeight_MatchesFiniteDifferencesOfTheForwardPass()
    {
        // L = Σ dy ⊙ conv(x, w) + bias; ∂L/∂w and ∂L/∂bias by central differences in double precision.
        var s = new Conv2dShape(2, 4, 6, 5, 4, 3, 2, 2, 1, 1, 1, 1, 2, 2);
        float[] x = GemmTests.RandomArray((int)s.InputLength, 7), w = GemmTests.RandomArray((int)s.WeightLength, 8);
        float[] bias = GemmTests.RandomArray(s.OutChannels, 9), dy = GemmTests.RandomArray((int)s.OutputLength, 10);
        float[] dw = new float[w.Length], db = new float[bias.Length];
        Convolution.Conv2dBackwardWeight(s, x, dy, dw, db, 1);
        float[] dx = new float[x.Length];
        Convolution.Conv2dBackwardInput(s, dy, w, dx, 1);

        double Loss(float[] xx, float[] ww, float[] bb)
        {
            float[] y = new float[s.OutputLength];
            Convolution.Conv2dForward(s, xx, ww, bb, y, 1);
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)y[i] * dy[i];
            }

            return sum;
        }

        const float h = 1e-2f;
        void CheckGradient(float[] parameter, float[] analytic)
        {
            for (int i = 0; i < parameter.Length; i += 3)
            {
                float old = parameter[i];
                parameter[i] = old + h;
                double plus = Loss(x, w, bias);
                parameter[i] = old - h;
                double minus = Loss(x, w, bias);
                parameter[i] = old;
                // The loss is linear in each parameter, so the difference is exact up to float rounding of y.
                Assert.Equal((plus - minus) / (2 * h), analytic[i], 2e-3);
            }
        }

        CheckGradient(w, dw);
        CheckGradient(bias, db);
        CheckGradient(x, dx);
    }

    [Fact]
    public void ThreadCount_DoesNotChangeTheBits()
    {
        AssertSameBitsForAnyThreadCount(new Conv2dShape(2, 16, 24, 24, 64, 3, 3, 1, 1, 1, 1));
        // One output channel: the direct kernels split images and weight elements among threads.
        AssertSameBitsForAnyThreadCount(new Conv2dShape(6, 128, 15, 15, 1, 4, 4, 1, 1, 1, 1));
        // An input gradient large enough (over 1 MB) for its clearing to be split among threads.
        AssertSameBitsForAnyThreadCount(new Conv2dShape(2, 8, 192, 192, 4, 3, 3, 1, 1, 1, 1));
    }

    private static void AssertSameBitsForAnyThreadCount(Conv2dShape s)
    {
        float[] x = GemmTests.RandomArray((int)s.InputLength, 1), w = GemmTests.RandomArray((int)s.WeightLength, 2);
        float[] dy = GemmTests.RandomArray((int)s.OutputLength, 3), bias = GemmTests.RandomArray(s.OutChannels, 4);
        float[]? y1 = null, dx1 = null, dw1 = null, db1 = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[] y = new float[s.OutputLength], dx = new float[s.InputLength], dw = new float[s.WeightLength], db = new float[s.OutChannels];
            // Every output must be written: NaN survives anywhere a kernel forgets to.
            Array.Fill(dx, float.NaN);
            Convolution.Conv2dForward(s, x, w, bias, y, threads);
            Convolution.Conv2dBackwardInput(s, dy, w, dx, threads);
            Convolution.Conv2dBackwardWeight(s, x, dy, dw, db, threads);
            if (y1 is null)
            {
                (y1, dx1, dw1, db1) = (y, dx, dw, db);
            }
            else
            {
                Assert.Equal(y1, y);
                Assert.Equal(dx1, dx);
                Assert.Equal(dw1, dw);
                Assert.Equal(db1, db);
            }
        }
    }

    // N, Cin_t, H, W, Cout_t, k, stride, padding, outputPadding, dilation, groups
    public static TheoryData<int[]> TransposedShapes() => new()
    {
        new[] { 2, 6, 4, 4, 4, 4, 2, 1, 0, 1, 1 },   // pix2pix up-sampling layer: 4×4 → 8×8
        new[] { 1, 3, 5, 3, 2, 3, 2, 1, 1, 1, 1 },   // output padding
        new[] { 3, 4, 3, 4, 6, 3, 3, 0, 2, 1, 2 },   // groups, output padding 2 < stride 3
        new[] { 1, 2, 4, 5, 3, 2, 1, 0, 0, 2, 1 },   // dilated, stride 1
    };

    [Theory]
    [MemberData(nameof(TransposedShapes))]
    public void ConvTranspose2dForward_MatchesDirectScatter(int[] p)
    {
        int n = p[0], cin = p[1], h = p[2], wd = p[3], cout = p[4], k = p[5], stride = p[6], pad = p[7], outPad = p[8], dil = p[9], groups = p[10];
        Conv2dShape s = Conv2dShape.ForTransposed(n, cin, h, wd, cout, k, k, stride, stride, pad, pad, outPad, outPad, dil, dil, groups);
        int ho = ((h - 1) * stride) - (2 * pad) + (dil * (k - 1)) + outPad + 1, wo = ((wd - 1) * stride) - (2 * pad) + (dil * (k - 1)) + outPad + 1;
        Assert.Equal((ho, wo), (s.InHeight, s.InWidth));

        float[] x = GemmTests.RandomArray(n * cin * h * wd, 5), w = GemmTests.RandomArray(cin * (cout / groups) * k * k, 6);
        float[] bias = GemmTests.RandomArray(cout, 7);
        float[] y = new float[n * cout * ho * wo];
        Convolution.ConvTranspose2dForward(s, x, w, bias, y, 2);

        // conv_transpose2d as PyTorch documents it: every input pixel scatters its kernel-weighted value.
        double[] expected = new double[y.Length];
        int cinG = cin / groups, coutG = cout / groups;
        for (int b = 0; b < n; b++)
        {
            for (int co = 0; co < cout; co++)
            {
                for (int i = 0; i < ho * wo; i++)
                {
                    expected[(((b * cout) + co) * ho * wo) + i] = bias[co];
                }
            }

            for (int ci = 0; ci < cin; ci++)
            {
                int g = ci / cinG;
                for (int iy = 0; iy < h; iy++)
                {
                    for (int ix = 0; ix < wd; ix++)
                    {
                        for (int cog = 0; cog < coutG; cog++)
                        {
                            for (int ki = 0; ki < k; ki++)
                            {
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int oy = (iy * stride) - pad + (ki * dil), ox = (ix * stride) - pad + (kj * dil);
                                    if ((uint)oy < (uint)ho && (uint)ox < (uint)wo)
                                    {
                                        int co = (g * coutG) + cog;
                                        expected[(((((b * cout) + co) * ho) + oy) * wo) + ox] +=
                                            (double)x[(((((b * cin) + ci) * h) + iy) * wd) + ix] * w[(((((ci * coutG) + cog) * k) + ki) * k) + kj];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 1e-4);
        }
    }

    [Fact]
    public void ForTransposed_RejectsOutputPaddingNotSmallerThanStrideOrDilation()
    {
        Assert.Throws<ArgumentException>(() => Conv2dShape.ForTransposed(1, 2, 4, 4, 2, 3, 3, 2, 2, 1, 1, 2, 0));
        Assert.Throws<ArgumentException>(() => Conv2dShape.ForTransposed(1, 2, 4, 4, 2, 3, 3, 1, 1, 1, 1, 0, -1));
    }

    [Fact]
    public void Im2Col_PartialRanges_MatchTheDefinition_AndCol2ImIsItsAdjoint()
    {
        var s = new Conv2dShape(1, 3, 7, 8, 5, 3, 2, 2, 3, 1, 2, 2, 1);
        float[] image = GemmTests.RandomArray(s.InChannels * s.InSpatial, 11);
        int rows = s.ColumnRows;
        foreach ((int start, int width) in new[] { (0, s.OutSpatial), (1, 5), (3, s.OutSpatial - 3), (s.OutSpatial - 1, 1) })
        {
            int ld = width + 2;
            float[] columns = new float[rows * ld];
            Convolution.Im2Col(s, image, start, width, columns, ld);
            for (int r = 0; r < rows; r++)
            {
                int c = r / (s.KernelHeight * s.KernelWidth), ki = r / s.KernelWidth % s.KernelHeight, kj = r % s.KernelWidth;
                for (int q = 0; q < width; q++)
                {
                    int pos = start + q, oy = pos / s.OutWidth, ox = pos % s.OutWidth;
                    int iy = (oy * s.StrideHeight) - s.PaddingHeight + (ki * s.DilationHeight);
                    int ix = (ox * s.StrideWidth) - s.PaddingWidth + (kj * s.DilationWidth);
                    float expected = (uint)iy < (uint)s.InHeight && (uint)ix < (uint)s.InWidth ? image[(((c * s.InHeight) + iy) * s.InWidth) + ix] : 0f;
                    Assert.Equal(expected, columns[(r * ld) + q]);
                }
            }

            // <im2col(x), C> = <x, col2im(C)> for any C.
            float[] weights = GemmTests.RandomArray(rows * ld, 12);
            float[] back = new float[image.Length];
            Convolution.Col2Im(s, weights, ld, start, width, back);
            double left = 0, right = 0;
            for (int r = 0; r < rows; r++)
            {
                for (int q = 0; q < width; q++)
                {
                    left += (double)columns[(r * ld) + q] * weights[(r * ld) + q];
                }
            }

            for (int i = 0; i < image.Length; i++)
            {
                right += (double)image[i] * back[i];
            }

            Assert.Equal(left, right, 1e-4);
        }
    }

    [Fact]
    public void BadShapesAndSpans_ThrowArgumentExceptions()
    {
        float[] big = new float[10000];
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dForward(new Conv2dShape(1, 3, 5, 5, 4, 3, 3, Groups: 2), big, big, default, big, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dForward(new Conv2dShape(1, 1, 2, 2, 1, 3, 3), big, big, default, big, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dForward(new Conv2dShape(1, 1, 5, 5, 1, 3, 3, StrideHeight: 0), big, big, default, big, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dForward(new Conv2dShape(1, 1, 5, 5, 1, 3, 3), big.AsSpan(0, 24), big, default, big, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dForward(new Conv2dShape(1, 1, 5, 5, 2, 3, 3), big, big, big.AsSpan(0, 1), big, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2dBackwardWeight(new Conv2dShape(2, 1, 5, 5, 1, 3, 3), big, big, big.AsSpan(0, 8), default, 1));
    }

    private static Conv2dShape ShapeOf(int[] p) => new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);

    private static void AssertClose(double[] expected, double[] magnitude, float[] actual, int terms, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = ((terms + 8) * 1.2e-7 * magnitude[i]) + 1e-12;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}[{i}] = {actual[i]}, expected {expected[i]} ± {tolerance}");
        }
    }

    /// <summary>The convolution by its definition, in double precision, with Σ|terms| for error bounds.</summary>
    private sealed class Naive
    {
        public required double[] Y { get; init; }

        public required double[] YMagnitude { get; init; }

        public required double[] DX { get; init; }

        public required double[] DXMagnitude { get; init; }

        public required double[] DW { get; init; }

        public required double[] DWMagnitude { get; init; }

        public required double[] DB { get; init; }

        public required double[] DBMagnitude { get; init; }

        public static Naive Run(Conv2dShape s, float[] x, float[] w, float[]? dy, float[]? bias)
        {
            int ho = s.OutHeight, wo = s.OutWidth, cinG = s.InChannelsPerGroup, coutG = s.OutChannelsPerGroup;
            int kh = s.KernelHeight, kw = s.KernelWidth;
            var r = new Naive
            {
                Y = new double[s.OutputLength], YMagnitude = new double[s.OutputLength],
                DX = new double[s.InputLength], DXMagnitude = new double[s.InputLength],
                DW = new double[s.WeightLength], DWMagnitude = new double[s.WeightLength],
                DB = new double[s.OutChannels], DBMagnitude = new double[s.OutChannels],
            };
            for (int n = 0; n < s.Batch; n++)
            {
                for (int co = 0; co < s.OutChannels; co++)
                {
                    int g = co / coutG;
                    for (int oy = 0; oy < ho; oy++)
                    {
                        for (int ox = 0; ox < wo; ox++)
                        {
                            int yi = (((((n * s.OutChannels) + co) * ho) + oy) * wo) + ox;
                            double acc = bias?[co] ?? 0, mag = Math.Abs(acc);
                            double grad = dy?[yi] ?? 0;
                            r.DB[co] += grad;
                            r.DBMagnitude[co] += Math.Abs(grad);
                            for (int cg = 0; cg < cinG; cg++)
                            {
                                int ci = (g * cinG) + cg;
                                for (int ki = 0; ki < kh; ki++)
                                {
                                    int iy = (oy * s.StrideHeight) - s.PaddingHeight + (ki * s.DilationHeight);
                                    if ((uint)iy >= (uint)s.InHeight)
                                    {
                                        continue;
                                    }

                                    for (int kj = 0; kj < kw; kj++)
                                    {
                                        int ix = (ox * s.StrideWidth) - s.PaddingWidth + (kj * s.DilationWidth);
                                        if ((uint)ix >= (uint)s.InWidth)
                                        {
                                            continue;
                                        }

                                        int xi = (((((n * s.InChannels) + ci) * s.InHeight) + iy) * s.InWidth) + ix;
                                        int wi = (((((co * cinG) + cg) * kh) + ki) * kw) + kj;
                                        double term = (double)x[xi] * w[wi];
                                        acc += term;
                                        mag += Math.Abs(term);
                                        r.DX[xi] += grad * w[wi];
                                        r.DXMagnitude[xi] += Math.Abs(grad * w[wi]);
                                        r.DW[wi] += grad * x[xi];
                                        r.DWMagnitude[wi] += Math.Abs(grad * x[xi]);
                                    }
                                }
                            }

                            r.Y[yi] = acc;
                            r.YMagnitude[yi] = mag;
                        }
                    }
                }
            }

            return r;
        }
    }
}

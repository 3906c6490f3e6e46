using Colorize.Imaging.Formats.Jpeg;

namespace Colorize.Imaging.Tests.Jpeg;

/// <summary>
/// The SIMD kernels against the plain arithmetic they replace (libjpeg's formulas written out), on random
/// inputs, so the scalar fallback and the vector path agree on every machine, not only on this one.
/// </summary>
public sealed class JpegKernelTests
{
    [Fact]
    public void InverseDct_VectorPathEqualsScalar()
    {
        var random = new Random(1234);
        var coefficients = new short[64];
        var quantization = new int[64];
        var vector = new byte[8 * 16];
        var scalar = new byte[8 * 16];
        for (int trial = 0; trial < 2000; trial++)
        {
            for (int i = 0; i < 64; i++)
            {
                // Sparse, mostly small coefficients like real data, with the occasional large or saturating one.
                coefficients[i] = random.Next(4) == 0 ? (short)random.Next(-1024, 1024) : (short)random.Next(-3, 4);
                quantization[i] = random.Next(1, trial % 2 == 0 ? 16 : 256);
            }

            JpegIdct.Transform(ref coefficients[0], ref quantization[0], ref vector[3], 16);
            JpegIdct.TransformScalar(ref coefficients[0], ref quantization[0], ref scalar[3], 16);
            Assert.Equal(scalar, vector);
        }
    }

    [Fact]
    public void InverseDct_DcOnlyShortcutEqualsFullTransform()
    {
        var coefficients = new short[64];
        var quantization = new int[64];
        Array.Fill(quantization, 1);
        var full = new byte[64];
        var shortcut = new byte[64];
        for (int dc = -1100; dc <= 1100; dc += 7)
        {
            coefficients[0] = (short)dc;
            quantization[0] = 3;
            JpegIdct.TransformScalar(ref coefficients[0], ref quantization[0], ref full[0], 8);
            JpegIdct.TransformDcOnly(dc * 3, ref shortcut[0], 8);
            Assert.Equal(full, shortcut);
        }
    }

    [Fact]
    public void YCbCrToRgb_EqualsLibjpegFormulaForEveryWidth()
    {
        var random = new Random(99);
        foreach (int width in new[] { 1, 15, 31, 32, 33, 97, 256 })
        {
            byte[] y = RandomBytes(random, width);
            byte[] cb = RandomBytes(random, width);
            byte[] cr = RandomBytes(random, width);
            var rgb = new byte[3 * width];
            JpegColorConverter.YCbCrToRgb(y, cb, cr, rgb, width);
            for (int i = 0; i < width; i++)
            {
                // jdcolor.c: R = Y + Cr_r_tab[Cr], G = Y + ((Cb_g_tab[Cb] + Cr_g_tab[Cr]) >> 16), B = Y + Cb_b_tab[Cb].
                int blue = cb[i] - 128;
                int red = cr[i] - 128;
                int expectedR = Math.Clamp(y[i] + ((91881 * red + 32768) >> 16), 0, 255);
                int expectedG = Math.Clamp(y[i] + ((-22554 * blue - 46802 * red + 32768) >> 16), 0, 255);
                int expectedB = Math.Clamp(y[i] + ((116130 * blue + 32768) >> 16), 0, 255);
                Assert.Equal((expectedR, expectedG, expectedB), (rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]));
            }
        }
    }

    [Fact]
    public void RgbToYCbCr_EqualsLibjpegFormulaForEveryWidth()
    {
        var random = new Random(7);
        foreach (int width in new[] { 1, 15, 16, 17, 100 })
        {
            byte[] rgb = RandomBytes(random, 3 * width);
            var y = new byte[width];
            var cb = new byte[width];
            var cr = new byte[width];
            JpegRgbToYCbCr.Convert(rgb, y, cb, cr, width);
            for (int i = 0; i < width; i++)
            {
                int r = rgb[3 * i], g = rgb[(3 * i) + 1], b = rgb[(3 * i) + 2];
                Assert.Equal((19595 * r + 38470 * g + 7471 * b + 32768) >> 16, y[i]);
                Assert.Equal((-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 32767) >> 16, cb[i]);
                Assert.Equal((32768 * r - 27439 * g - 5329 * b + (128 << 16) + 32767) >> 16, cr[i]);
            }
        }
    }

    [Fact]
    public void FancyUpsampling_EqualsLibjpegFormula()
    {
        var random = new Random(5);
        foreach (int width in new[] { 3, 4, 17, 40, 129 })
        {
            byte[] near = RandomBytes(random, width + 64);
            byte[] far = RandomBytes(random, width + 64);
            var scratch = new ushort[width + JpegUpsampler.Padding];
            var output = new byte[(2 * width) + JpegUpsampler.Padding];

            // h2v2: column sums 3·near + far, then (3·this + neighbour + 8 or 7) >> 4, edges repeated.
            JpegUpsampler.H2V2Fancy(near, far, width, scratch, output);
            for (int i = 0; i < width; i++)
            {
                int sum = (3 * near[i]) + far[i];
                int left = i == 0 ? sum : (3 * near[i - 1]) + far[i - 1];
                int right = i == width - 1 ? sum : (3 * near[i + 1]) + far[i + 1];
                Assert.Equal((3 * sum + left + 8) >> 4, output[2 * i]);
                Assert.Equal((3 * sum + right + 7) >> 4, output[(2 * i) + 1]);
            }

            // h2v1: (3·this + neighbour + 1 or 2) >> 2.
            JpegUpsampler.H2V1Fancy(near, width, scratch, output);
            for (int i = 0; i < width; i++)
            {
                int left = near[Math.Max(i - 1, 0)];
                int right = near[Math.Min(i + 1, width - 1)];
                Assert.Equal((3 * near[i] + left + 1) >> 2, output[2 * i]);
                Assert.Equal((3 * near[i] + right + 2) >> 2, output[(2 * i) + 1]);
            }
        }
    }

    [Fact]
    public void ForwardDct_VectorPathEqualsScalarWithLibjpegRounding()
    {
        var random = new Random(42);
        var samples = new byte[8 * 12];
        var workspace = new int[64];
        var quantized = new short[64];
        var divisors = new int[64];
        var reciprocals = new float[64];
        for (int trial = 0; trial < 2000; trial++)
        {
            random.NextBytes(samples);
            if (trial % 3 == 0)
            {
                Array.Fill(samples, (byte)random.Next(256));
            }

            for (int i = 0; i < 64; i++)
            {
                divisors[i] = 8 * random.Next(1, trial % 2 == 0 ? 4 : 256);
                reciprocals[i] = 1f / divisors[i];
            }

            JpegFdct.TransformAndQuantize(ref samples[2], 12, divisors, reciprocals, quantized);
            JpegFdct.Transform(ref samples[2], 12, workspace);
            for (int i = 0; i < 64; i++)
            {
                // jcdctmgr.c quantize(): sign(x) · ((|x| + d/2) / d).
                int x = workspace[i];
                int magnitude = (Math.Abs(x) + (divisors[i] >> 1)) / divisors[i];
                Assert.Equal(x < 0 ? -magnitude : magnitude, quantized[i]);
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}

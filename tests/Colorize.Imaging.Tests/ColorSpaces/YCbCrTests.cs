using Colorize.Imaging.ColorSpaces;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.ColorSpaces;

/// <summary>BT.601 YCbCr: studio range against skimage's rgb2ycbcr/ycbcr2rgb, full (JFIF) range against PIL's convert("YCbCr").</summary>
public sealed class YCbCrTests(ITestOutputHelper output)
{
    private static ReferenceFixture Ref => ReferenceFixture.Load("colour.bin.gz");

    [Fact]
    public void FromRgb_Studio_MatchesSkimage()
    {
        var (r, g, b) = Compare.Planes(Ref.Floats("rgbf"));
        int n = r.Length;
        var (y, cb, cr) = (new float[n], new float[n], new float[n]);

        YCbCr.FromRgb(r, g, b, y, cb, cr, YCbCrRange.Studio);

        var (ey, ecb, ecr) = Compare.Planes(Ref.Floats("ycbcr_studio_of_rgbf"));
        double worst = Math.Max(Compare.MaxAbs(ey, y, 1e-4, "Y"), Math.Max(Compare.MaxAbs(ecb, cb, 1e-4, "Cb"), Compare.MaxAbs(ecr, cr, 1e-4, "Cr")));
        output.WriteLine($"studio RGB → YCbCr: max error {worst:G3} (0…255 scale)");
    }

    [Fact]
    public void ToRgb_Studio_MatchesSkimage()
    {
        var (y, cb, cr) = Compare.Planes(Ref.Floats("ycbcr_studio"));
        int n = y.Length;
        var (r, g, b) = (new float[n], new float[n], new float[n]);

        YCbCr.ToRgb(y, cb, cr, r, g, b, YCbCrRange.Studio);

        var (er, eg, eb) = Compare.Planes(Ref.Floats("rgbf_of_ycbcr_studio"));
        double worst = Math.Max(Compare.MaxAbs(er, r, 1e-6, "R"), Math.Max(Compare.MaxAbs(eg, g, 1e-6, "G"), Compare.MaxAbs(eb, b, 1e-6, "B")));
        output.WriteLine($"studio YCbCr → RGB: max error {worst:G3} (0…1 scale, unclipped)");
    }

    [Fact]
    public void FromPixels_Full_MatchesPilWithinOne()
    {
        byte[] rgb = Ref.Bytes("rgb8");
        int n = rgb.Length / 3;
        var (y, cb, cr) = (new float[n], new float[n], new float[n]);

        YCbCr.FromPixels(rgb, n, 1, rgb.Length, InterleavedLayout.Rgb24, y, cb, cr, n, YCbCrRange.Full);

        byte[] pil = Ref.Bytes("ycbcr_jfif_pil_of_rgb8");
        var ours = new int[n * 3];
        for (int i = 0; i < n; i++)
        {
            ours[3 * i] = (int)MathF.Round(y[i]);
            ours[(3 * i) + 1] = (int)MathF.Round(cb[i]);
            ours[(3 * i) + 2] = (int)MathF.Round(cr[i]);
        }

        // PIL uses 16-bit fixed-point coefficients and truncation; exact rounding differs by at most one code.
        int worst = Compare.MaxAbs(Compare.Ints(pil), ours, 1, "JFIF YCbCr vs PIL");
        output.WriteLine($"JFIF RGB → YCbCr vs PIL: max difference {worst}");
    }

    [Fact]
    public void ToPixels_Full_MatchesPilWithinOne()
    {
        byte[] ycc = Ref.Bytes("ycbcr_jfif_bytes");
        int n = ycc.Length / 3;
        var (y, cb, cr) = Compare.Planes(ycc.Select(v => (float)v).ToArray());
        var rgb = new byte[n * 3];

        YCbCr.ToPixels(y, cb, cr, n, 1, n, rgb, rgb.Length, InterleavedLayout.Rgb24, YCbCrRange.Full);

        int worst = Compare.MaxAbs(Compare.Ints(Ref.Bytes("rgb8_pil_of_ycbcr_jfif")), Compare.Ints(rgb), 1, "JFIF YCbCr → RGB vs PIL");
        output.WriteLine($"JFIF YCbCr → RGB vs PIL: max difference {worst}");
    }

    [Theory]
    [InlineData(YCbCrRange.Full, InterleavedLayout.Bgra32)]
    [InlineData(YCbCrRange.Studio, InterleavedLayout.Rgb24)]
    [InlineData(YCbCrRange.Full, InterleavedLayout.Rgb48)]
    public void RoundTrip_IsExact(YCbCrRange range, InterleavedLayout layout)
    {
        int width = 97, height = 31, bpp = layout.BytesPerPixel();
        var pixels = new byte[width * height * bpp];
        new Random(9).NextBytes(pixels);
        var (y, cb, cr) = (new float[width * height], new float[width * height], new float[width * height]);

        YCbCr.FromPixels(pixels, width, height, width * bpp, layout, y, cb, cr, width, range);
        var back = (byte[])pixels.Clone();
        if (bpp == 4)
        {
            for (int i = 0; i < back.Length; i += 4)
            {
                back[i] = back[i + 1] = back[i + 2] = 0;
            }
        }

        YCbCr.ToPixels(y, cb, cr, width, height, width, back, width * bpp, layout, range);

        Assert.Equal(pixels, back);
    }

    [Fact]
    public void Gray_MapsToNeutralChroma()
    {
        byte[] gray = [0, 1, 77, 128, 254, 255];
        var (y, cb, cr) = (new float[6], new float[6], new float[6]);
        YCbCr.FromPixels(gray, 6, 1, 6, InterleavedLayout.Gray8, y, cb, cr, 6, YCbCrRange.Studio);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(16 + (219.0 * gray[i] / 255), y[i], 3);
            Assert.Equal(128, cb[i], 3);
            Assert.Equal(128, cr[i], 3);
        }

        var back = new byte[6];
        YCbCr.ToPixels(y, cb, cr, 6, 1, 6, back, 6, InterleavedLayout.Gray8, YCbCrRange.Studio);
        Assert.Equal(gray, back);
    }

    [Fact]
    public void Scalar_AgreesWithPlanes()
    {
        var (y, cb, cr) = YCbCr.FromRgb(0.2, 0.5, 0.9, YCbCrRange.Full);
        var (r, g, b) = YCbCr.ToRgb(y, cb, cr, YCbCrRange.Full);
        Assert.Equal(0.2, r, 12);
        Assert.Equal(0.5, g, 12);
        Assert.Equal(0.9, b, 12);
        Assert.Equal((0.299 * 0.2 + 0.587 * 0.5 + 0.114 * 0.9) * 255, y, 10);
    }
}

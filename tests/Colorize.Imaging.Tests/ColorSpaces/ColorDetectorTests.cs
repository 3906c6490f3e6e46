using Colorize.Imaging.ColorSpaces;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.ColorSpaces;

/// <summary>"Is this image already colour?" on synthetic pictures whose answer is known by construction.</summary>
public sealed class ColorDetectorTests(ITestOutputHelper output)
{
    private const int W = 320, H = 200;

    /// <summary>Builds an Rgb24 image from a function giving each pixel's Lab colour.</summary>
    private static byte[] FromLab(Func<int, int, (float L, float A, float B)> colour, InterleavedLayout layout = InterleavedLayout.Rgb24)
    {
        var (l, a, b) = (new float[W * H], new float[W * H], new float[W * H]);
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                (l[(y * W) + x], a[(y * W) + x], b[(y * W) + x]) = colour(x, y);
            }
        }

        int bpp = layout.BytesPerPixel();
        var pixels = new byte[W * H * bpp];
        LabConverter.FromLab(l, a, b, W, H, W, pixels, W * bpp, layout);
        return pixels;
    }

    private ColorDetectionResult Analyze(byte[] rgb, ColorDetectionOptions? options = null, InterleavedLayout layout = InterleavedLayout.Rgb24)
    {
        var result = ColorDetector.Analyze(rgb, W, H, W * layout.BytesPerPixel(), layout, options);
        output.WriteLine(result.ToString());
        return result;
    }

    [Fact]
    public void GreyPhotoWithChromaNoise_IsNotColour()
    {
        // Independent ±4 noise per channel: the chroma noise of a scanned black-and-white print.
        var rng = new Random(1);
        var rgb = new byte[W * H * 3];
        for (int i = 0; i < W * H; i++)
        {
            int v = 20 + (i % W * 215 / W);
            for (int c = 0; c < 3; c++)
            {
                rgb[(3 * i) + c] = (byte)Math.Clamp(v + rng.Next(-4, 5), 0, 255);
            }
        }

        var result = Analyze(rgb);

        Assert.False(result.IsColor);
        Assert.True(result.Score < 0.01);
    }

    [Fact]
    public void SepiaToning_IsMonochromeByDefault_ButColourfulWhenTintsCount()
    {
        // One hue (≈ 70°, brown), chroma strongest in the mid-tones: a classic sepia print.
        byte[] rgb = FromLab((x, y) =>
        {
            float l = 5 + (90f * x / W);
            float c = 25 * MathF.Sin(MathF.PI * l / 100);
            return (l, c * MathF.Cos(1.22f), c * MathF.Sin(1.22f));
        });

        var byDefault = Analyze(rgb);
        var withTints = Analyze(rgb, new ColorDetectionOptions { IgnoreUniformTint = false });

        Assert.False(byDefault.IsColor);
        Assert.True(withTints.IsColor);
        Assert.InRange(byDefault.TintHueDegrees, 60, 80);
    }

    [Fact]
    public void ManyHues_IsColour()
    {
        byte[] rgb = FromLab((x, y) =>
        {
            float hue = ((x / 40) + (y / 40 * 8)) * 0.7f;
            return (30 + (y * 50f / H), 35 * MathF.Cos(hue), 35 * MathF.Sin(hue));
        });

        var result = Analyze(rgb);

        Assert.True(result.IsColor);
        Assert.True(result.Score > 0.5);
    }

    [Fact]
    public void TwoOppositeHues_IsColour()
    {
        // Blue sky over orange sand: both hues lie on one line through grey, yet it is a colour photograph.
        byte[] rgb = FromLab((x, y) => y < H / 2 ? (70, -5, -35) : (65, 15, 40));

        var result = Analyze(rgb);

        Assert.True(result.IsColor);
        Assert.True(result.Score > 0.4);
    }

    [Theory]
    [InlineData(0.10, true)]
    [InlineData(0.01, false)]
    public void SmallColouredObjectOnGrey_CountsByArea(double area, bool expected)
    {
        // A grey picture spanning the tonal range, with a shaded red object in one corner.
        int side = (int)Math.Sqrt(area * W * H);
        byte[] rgb = FromLab((x, y) => x < side && y < side ? (40 + (20f * y / side), 45, 30) : (10 + (80f * x / W), 0, 0));

        Assert.Equal(expected, Analyze(rgb).IsColor);
    }

    [Fact]
    public void GreyLayouts_AreNeverColour()
    {
        var gray = new byte[W * H];
        Assert.False(ColorDetector.Analyze(gray, W, H, W, InterleavedLayout.Gray8).IsColor);
    }

    [Fact]
    public void SixteenBitAndBgra_AgreeWithRgb24()
    {
        byte[] rgb = FromLab((x, y) => (40 + (x % 50), (y % 60) - 30, (x % 70) - 35));
        byte[] bgra = FromLab((x, y) => (40 + (x % 50), (y % 60) - 30, (x % 70) - 35), InterleavedLayout.Bgra32);
        byte[] rgb48 = FromLab((x, y) => (40 + (x % 50), (y % 60) - 30, (x % 70) - 35), InterleavedLayout.Rgb48);

        var r1 = Analyze(rgb);
        var r2 = Analyze(bgra, layout: InterleavedLayout.Bgra32);
        var r3 = Analyze(rgb48, layout: InterleavedLayout.Rgb48);

        Assert.Equal(r1, r2);
        Assert.Equal(r1.IsColor, r3.IsColor);
        Assert.Equal(r1.Score, r3.Score, 2);
    }

    [Fact]
    public void LargeImages_AreSubsampled()
    {
        var rgb = new byte[3000 * 2000 * 3];
        var result = ColorDetector.Analyze(rgb, 3000, 2000, 9000, InterleavedLayout.Rgb24);
        Assert.InRange(result.SampledPixels, 30_000, 65_536);
        Assert.False(result.IsColor);
    }
}

using Colorize.Abstractions;
using Colorize.Imaging.Formats.Tiff;
using Colorize.Imaging.Tests.Infrastructure;
using Colorize.Imaging.Tests.Png;

namespace Colorize.Imaging.Tests.Tiff;

public sealed class TiffEncoderTests
{
    [Theory]
    [InlineData(PixelFormat.Gray8, TiffCompression.Deflate, true)]
    [InlineData(PixelFormat.Gray16, TiffCompression.Deflate, true)]
    [InlineData(PixelFormat.Rgb24, TiffCompression.Deflate, false)]
    [InlineData(PixelFormat.Rgb48, TiffCompression.Deflate, true)]
    [InlineData(PixelFormat.Rgba32, TiffCompression.None, false)]
    [InlineData(PixelFormat.Rgba64, TiffCompression.Deflate, true)]
    public void RoundTrip_KeepsEveryPixelAndPrecision(PixelFormat format, TiffCompression compression, bool predictor)
    {
        Image original = Synthetic.Create(41, 29, format, seed: (int)format);

        byte[] tiff = PngEncoderTests.Encode(original, new TiffEncoder { Compression = compression, UsePredictor = predictor });
        Image decoded = Image.Load(tiff);

        Synthetic.AssertSamePixels(original, decoded);
    }

    [Fact]
    public void ManyStrips_AndBgraSource_RoundTrip()
    {
        // 700 x 120 Rgba64 rows are 5600 bytes: 46 rows per 256 KiB strip, so three strips.
        Image original = Synthetic.Create(700, 120, PixelFormat.Bgra32, seed: 1);

        Image decoded = Image.Load(PngEncoderTests.Encode(original, new TiffEncoder { BitDepth = 16 }));

        Assert.Equal(PixelFormat.Rgba64, decoded.PixelFormat);
        Synthetic.AssertSamePixels(original, decoded.ConvertTo(PixelFormat.Bgra32));
    }
}

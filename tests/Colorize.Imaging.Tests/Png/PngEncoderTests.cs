using Colorize.Abstractions;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Png;

public sealed class PngEncoderTests
{
    [Theory]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Gray16)]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Rgb48)]
    [InlineData(PixelFormat.Rgba32)]
    [InlineData(PixelFormat.Rgba64)]
    public void RoundTrip_KeepsEveryPixelAndPrecision(PixelFormat format)
    {
        Image original = Synthetic.Create(37, 23, format, seed: (int)format);

        Image decoded = Image.Load(Encode(original, new PngEncoder()));

        Synthetic.AssertSamePixels(original, decoded);
    }

    [Theory]
    [InlineData(PngFilterMode.None)]
    [InlineData(PngFilterMode.Sub)]
    [InlineData(PngFilterMode.Up)]
    [InlineData(PngFilterMode.Average)]
    [InlineData(PngFilterMode.Paeth)]
    public void RoundTrip_EveryFixedFilter(PngFilterMode mode)
    {
        Image original = Synthetic.Create(19, 11, PixelFormat.Rgba64, seed: 3);

        Image decoded = Image.Load(Encode(original, new PngEncoder { FilterMode = mode, CompressionLevel = 1 }));

        Synthetic.AssertSamePixels(original, decoded);
    }

    [Fact]
    public void Bgra32_IsWrittenAsRgbaWithChannelsInPlace()
    {
        Image original = Synthetic.Create(8, 5, PixelFormat.Bgra32, seed: 9);

        Image decoded = Image.Load(Encode(original, new PngEncoder()));

        Assert.Equal(PixelFormat.Rgba32, decoded.PixelFormat);
        Synthetic.AssertSamePixels(original, decoded.ConvertTo(PixelFormat.Bgra32));
    }

    [Fact]
    public void GrayAlpha16_RoundTripsThroughRgba64()
    {
        Image gray = Synthetic.Create(10, 6, PixelFormat.Gray16, seed: 4);
        Image rgba = gray.ConvertTo(PixelFormat.Rgba64);

        Image decoded = Image.Load(Encode(rgba, new PngEncoder { ColorType = PngColorType.GrayAlpha }));

        Synthetic.AssertSamePixels(rgba, decoded);
    }

    [Fact]
    public void BitDepth8_Rounds16BitSamples()
    {
        Image original = Synthetic.Create(12, 4, PixelFormat.Rgb48, seed: 5);

        Image decoded = Image.Load(Encode(original, new PngEncoder { BitDepth = PngBitDepth.Bit8 }));

        Synthetic.AssertSamePixels(original.ConvertTo(PixelFormat.Rgb24), decoded);
    }

    [Fact]
    public void HigherCompressionLevel_IsNotLarger()
    {
        Image original = Synthetic.Create(64, 64, PixelFormat.Rgb24, seed: 6);

        int stored = Encode(original, new PngEncoder { CompressionLevel = 0 }).Length;
        int best = Encode(original, new PngEncoder { CompressionLevel = 9 }).Length;

        Assert.True(best < stored, $"level 9 gave {best} bytes, level 0 {stored}");
    }

    [Fact]
    public void CompressionLevel_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PngEncoder { CompressionLevel = 10 });
    }

    internal static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}

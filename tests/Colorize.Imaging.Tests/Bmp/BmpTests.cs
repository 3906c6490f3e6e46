using Colorize.Abstractions;
using Colorize.Imaging.Formats.Bmp;
using Colorize.Imaging.Tests.Infrastructure;
using Colorize.Imaging.Tests.Png;

namespace Colorize.Imaging.Tests.Bmp;

public sealed class BmpTests
{
    public static TheoryData<string> Files => TestFiles.WithReference("bmp");

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_MatchesPil(string file)
    {
        string path = TestFiles.PathOf(file);
        var reference = ReferenceImage.Load(path + ".ref.gz");

        Image image = Image.Load(path);

        reference.AssertMatches(image, file);
        Assert.Equal(ImageFormat.Bmp, Image.Identify(path).Format);
    }

    [Theory]
    [InlineData(PixelFormat.Gray8, PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgb24, PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Rgba32, PixelFormat.Rgba32)]
    [InlineData(PixelFormat.Bgra32, PixelFormat.Rgba32)]
    [InlineData(PixelFormat.Rgb48, PixelFormat.Rgb24)]
    public void RoundTrip_ThroughOurDecoder(PixelFormat source, PixelFormat decodedAs)
    {
        Image original = Synthetic.Create(13, 7, source, seed: 11);

        Image decoded = Image.Load(PngEncoderTests.Encode(original, new BmpEncoder()));

        Synthetic.AssertSamePixels(original.ConvertTo(decodedAs), decoded);
    }

    [Fact]
    public void KeepAlphaFalse_Writes24Bit()
    {
        Image original = Synthetic.Create(5, 3, PixelFormat.Rgba32, seed: 2);

        Image decoded = Image.Load(PngEncoderTests.Encode(original, new BmpEncoder { KeepAlpha = false }));

        Synthetic.AssertSamePixels(original.ConvertTo(PixelFormat.Rgb24), decoded);
    }
}

using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Png;

public sealed class PngConformanceTests
{
    public static TheoryData<string> Files => TestFiles.WithReference("png");

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_MatchesIndependentReference(string file)
    {
        string path = TestFiles.PathOf(file);
        var reference = ReferenceImage.Load(path + ".ref.gz");

        Image image = Image.Load(path);

        reference.AssertMatches(image, file);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Identify_AgreesWithDecode(string file)
    {
        string path = TestFiles.PathOf(file);
        var reference = ReferenceImage.Load(path + ".ref.gz");

        ImageInfo info = Image.Identify(path);

        Assert.Equal(ImageFormat.Png, info.Format);
        Assert.Equal((reference.Width, reference.Height, reference.ExpectedFormat), (info.Width, info.Height, info.PixelFormat));
    }

    [Fact]
    public void Decode_DamagedCrc_FailsStrictButDecodesWhenIgnored()
    {
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("invalid/go-invalid-crc32.png"));

        var error = Assert.ThrowsAny<ImageFormatException>(() => new PngDecoder().Decode(data, DecoderOptions.Default));
        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);

        Image image = new PngDecoder { CrcHandling = PngCrcHandling.IgnoreAll }.Decode(data, DecoderOptions.Default);
        Assert.True(image.Width > 0);
    }

    [Fact]
    public void Decode_AncillaryCrcDamage_IgnoredOnlyWhenAsked()
    {
        // Insert a tEXt chunk with a wrong CRC after IHDR of a valid file.
        byte[] original = File.ReadAllBytes(TestFiles.PathOf("png/basn2c08.png"));
        byte[] text = [0, 0, 0, 3, (byte)'t', (byte)'E', (byte)'X', (byte)'t', (byte)'a', 0, (byte)'b', 1, 2, 3, 4];
        byte[] data = [.. original.AsSpan(0, 33), .. text, .. original.AsSpan(33)];

        Assert.ThrowsAny<ImageFormatException>(() => new PngDecoder().Decode(data, DecoderOptions.Default));
        Image image = new PngDecoder { CrcHandling = PngCrcHandling.IgnoreAncillary }.Decode(data, DecoderOptions.Default);
        Image expected = Image.Load(original);
        Assert.Equal(expected.GetRowBytes(5).ToArray(), image.GetRowBytes(5).ToArray());
    }

    [Theory]
    [InlineData("invalid/go-invalid-crc32.png")]
    [InlineData("invalid/go-invalid-zlib.png")]
    public void Decode_InvalidFiles_ThrowImageFormatException(string file)
    {
        var error = Assert.ThrowsAny<ImageFormatException>(() => Image.Load(TestFiles.PathOf(file)));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}

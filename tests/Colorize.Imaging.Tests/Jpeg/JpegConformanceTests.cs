using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.Jpeg;

/// <summary>
/// Decodes files nobody here wrote (Go's test images, dlib's example photos, cjpeg, PIL and libjpeg output,
/// damaged variants) and compares with libjpeg-turbo's djpeg (islow, fancy upsampling): within ±1 per channel.
/// The references come from reference/jpeg/make_jpeg_fixtures.py.
/// </summary>
public sealed class JpegConformanceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Go => TestFiles.WithReference("jpeg/go");

    public static TheoryData<string> Photos => TestFiles.WithReference("jpeg/photos");

    public static TheoryData<string> Cjpeg => TestFiles.WithReference("jpeg/cjpeg");

    public static TheoryData<string> Pil => TestFiles.WithReference("jpeg/pil");

    public static TheoryData<string> Libjpeg => TestFiles.WithReference("jpeg/libjpeg");

    public static TheoryData<string> Damaged => TestFiles.WithReference("jpeg/damaged");

    [Theory]
    [MemberData(nameof(Go))]
    public void GoTestImage_MatchesDjpeg(string file) => AssertMatchesDjpeg(file);

    [Theory]
    [MemberData(nameof(Photos))]
    public void Photo_MatchesDjpeg(string file) => AssertMatchesDjpeg(file);

    [Theory]
    [MemberData(nameof(Cjpeg))]
    public void CjpegVariant_MatchesDjpeg(string file) => AssertMatchesDjpeg(file);

    [Theory]
    [MemberData(nameof(Pil))]
    public void PilVariant_MatchesDjpegTurnedUpright(string file) => AssertMatchesDjpeg(file);

    [Theory]
    [MemberData(nameof(Libjpeg))]
    public void YcckFile_MatchesDjpeg(string file) => AssertMatchesDjpeg(file);

    [Theory]
    [MemberData(nameof(Damaged))]
    public void DamagedFile_DecodesAsDjpegDoes(string file) => AssertMatchesDjpeg(file, damaged: true);

    [Fact]
    public void ImageLoad_DetectsJpegFromContent()
    {
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("jpeg/go/video-001.jpeg"));
        Assert.Same(ImageFormat.Jpeg, Image.DetectFormat(data));
        Image image = Image.Load(data);
        Assert.Equal((150, 103), (image.Width, image.Height));
        ImageInfo info = Image.Identify(data);
        Assert.Equal((150, 103, 8), (info.Width, info.Height, info.BitsPerChannel));
        Assert.Same(ImageFormat.Jpeg, info.Format);
    }

    [Fact]
    public void Identify_ReportsUprightSizeForRotatedExif()
    {
        // Orientation 6 (rotate 90°) swaps the stored 40x24 to 24x40, in Identify as in Decode.
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("jpeg/pil/exif-orientation-6-mm.jpg"));
        ImageInfo info = new JpegDecoder().Identify(data, DecoderOptions.Default);
        Assert.Equal((24, 40), (info.Width, info.Height));
        ImageInfo stored = new JpegDecoder { ApplyExifOrientation = false }.Identify(data, DecoderOptions.Default);
        Assert.Equal((40, 24), (stored.Width, stored.Height));
        JpegDecodedPixels pixels = new JpegDecoder { ApplyExifOrientation = false }.DecodePixels(data);
        Assert.Equal((40, 24, 6, false), (pixels.Width, pixels.Height, pixels.ExifOrientation, pixels.OrientationApplied));
    }

    [Fact]
    public void DecodePixels_FromStream_EqualsFromMemory()
    {
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("jpeg/cjpeg/progressive.jpg"));
        var decoder = new JpegDecoder();
        JpegDecodedPixels fromMemory = decoder.DecodePixels(data);
        using var stream = new MemoryStream(data);
        JpegDecodedPixels fromStream = decoder.DecodePixels(stream);
        Assert.Equal(fromMemory.Pixels, fromStream.Pixels);
        Assert.Equal(fromMemory.Width * 3, fromMemory.Stride);
    }

    [Fact]
    public void TruncatedProgressive_DecodesWhatIsThereAndSaysSo()
    {
        // Go's truncated progressive file ends before its refinement scans. libjpeg shows what it has (and adds
        // block smoothing, which this decoder leaves out, so no pixel reference here); so do we, without error.
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("jpeg/go/video-001.progressive.truncated.jpeg"));
        JpegDecodedPixels truncated = new JpegDecoder().DecodePixels(data);
        Assert.Equal((150, 103), (truncated.Width, truncated.Height));

        // Every scan it has is complete, so nothing is blank, but the image is coarser than the full file's.
        JpegDecodedPixels full = new JpegDecoder().DecodePixels(File.ReadAllBytes(TestFiles.PathOf("jpeg/go/video-001.progressive.jpeg")));
        double psnr = JpegTestHelpers.Psnr(full.Pixels, truncated.Pixels);
        output.WriteLine($"PSNR of the truncated decode against the full one: {psnr:F2} dB");
        Assert.InRange(psnr, 20, 60);
    }

    [Fact]
    public void TruncatedBaseline_ReportsTruncation()
    {
        byte[] data = File.ReadAllBytes(TestFiles.PathOf("jpeg/damaged/truncated-baseline-60pct.jpg"));
        Assert.Throws<TruncatedImageException>(() => new JpegDecoder().DecodePixels(data));
        JpegDecodedPixels pixels = new JpegDecoder { AllowTruncated = true }.DecodePixels(data);
        Assert.True(pixels.IsTruncated);
        JpegDecodedPixels intact = new JpegDecoder().DecodePixels(File.ReadAllBytes(TestFiles.PathOf("jpeg/cjpeg/odd-420.jpg")));
        Assert.False(intact.IsTruncated);
    }

    private void AssertMatchesDjpeg(string file, bool damaged = false)
    {
        // A damaged file is refused by default; what it carries is what djpeg shows (with a warning) for it.
        byte[] data = File.ReadAllBytes(TestFiles.PathOf(file));
        Image image;
        try
        {
            image = new JpegDecoder().Decode(data, DecoderOptions.Default);
        }
        catch (TruncatedImageException e) when (damaged)
        {
            output.WriteLine($"{file}: {e.Message}");
            image = e.DecodedImage;
        }

        var reference = ReferenceImage.Load(TestFiles.PathOf(file) + ".ref.gz");
        int max = JpegTestHelpers.MaxDifference(reference, image, file);
        output.WriteLine($"{file}: {image.Width}x{image.Height} {image.PixelFormat}, max difference from djpeg {max}");
        Assert.True(max <= 1, $"{file}: a channel differs from djpeg by {max}");
    }
}

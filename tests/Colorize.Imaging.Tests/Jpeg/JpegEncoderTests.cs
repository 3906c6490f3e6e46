using Colorize.Abstractions;
using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.Jpeg;

/// <summary>
/// The encoder against libjpeg-turbo's cjpeg: for the same pixels and settings the files must be identical,
/// byte for byte (same colour conversion, downsampling, DCT, quantisation and Huffman coding). Plus round trips.
/// </summary>
public sealed class JpegEncoderTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => JpegTestHelpers.Files("jpeg/encoder", ".jpg");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Encode_IsByteIdenticalToCjpeg(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        string[] settings = name.Split('-');
        var source = ReferenceImage.Load(TestFiles.PathOf($"jpeg/encoder/{settings[0]}.source.gz"));
        JpegEncoder Encoder(int threads) => new()
        {
            MaxDegreeOfParallelism = threads,
            Quality = int.Parse(settings.Single(s => s.StartsWith('q')).AsSpan(1), provider: null),
            ChromaSubsampling = settings.Contains("444") ? JpegChromaSubsampling.Ratio444 : JpegChromaSubsampling.Ratio420,
            OptimizeHuffmanTables = settings.Contains("optimize"),
            RestartInterval = settings.Where(s => s.StartsWith("restart", StringComparison.Ordinal)).Select(s => int.Parse(s.AsSpan(7), provider: null)).SingleOrDefault(),
            ColorType = settings.Contains("grayscale") ? JpegColorType.Grayscale : JpegColorType.Auto,
        };

        byte[] cjpeg = File.ReadAllBytes(TestFiles.PathOf(file));
        var image = JpegTestHelpers.ToImage(source);

        // Rows of blocks are prepared on several threads: the file must not depend on how many.
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var stream = new MemoryStream();
            Encoder(threads).Encode(image, stream);
            byte[] ours = stream.ToArray();
            int same = ours.AsSpan().CommonPrefixLength(cjpeg);
            output.WriteLine($"{name}, {threads} thread(s): {ours.Length} bytes (cjpeg {cjpeg.Length}), identical prefix {same}");
            Assert.True(same == cjpeg.Length && ours.Length == cjpeg.Length, $"{name}, {threads} thread(s): first difference from cjpeg at byte {same} of {cjpeg.Length}");
        }
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 7)]
    [InlineData(true, 3)]
    public void Encode_GivesTheSameBytes_WithOneToFiveThreads(bool optimize, int restartInterval)
    {
        // 63 MCU rows at 4:2:0 (1001 px): chunks of 4 rows per thread end unevenly, and the last row is partial;
        // rows wide enough that the threads' work overlaps in time.
        var image = new Image(1531, 1001, PixelFormat.Rgb24);
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < row.Length; x++)
            {
                row[x] = (byte)((x * 7) + (y * 3) + ((x * y) % 23));
            }
        }

        byte[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 5 })
        {
            using var stream = new MemoryStream();
            new JpegEncoder { Quality = 85, OptimizeHuffmanTables = optimize, RestartInterval = restartInterval, MaxDegreeOfParallelism = threads }.Encode(image, stream);
            first ??= stream.ToArray();
            Assert.Equal(first, stream.ToArray());
        }
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24, 95, JpegChromaSubsampling.Ratio444, 38)]
    [InlineData(PixelFormat.Rgb24, 90, JpegChromaSubsampling.Ratio420, 30)]
    [InlineData(PixelFormat.Rgb24, 50, JpegChromaSubsampling.Ratio420, 27)]
    [InlineData(PixelFormat.Gray8, 90, JpegChromaSubsampling.Ratio420, 36)]
    public void RoundTrip_ThroughOurDecoder_KeepsTheImage(PixelFormat format, int quality, JpegChromaSubsampling subsampling, double minimumPsnr)
    {
        string source = format == PixelFormat.Gray8 ? "gray" : "rgb";
        Image image = JpegTestHelpers.ToImage(ReferenceImage.Load(TestFiles.PathOf($"jpeg/encoder/{source}.source.gz")));
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = quality, ChromaSubsampling = subsampling });
        Image decoded = Image.Load(stream.ToArray());
        Assert.Equal((image.Width, image.Height, image.PixelFormat), (decoded.Width, decoded.Height, decoded.PixelFormat));
        double psnr = JpegTestHelpers.Psnr(JpegTestHelpers.Packed(image), JpegTestHelpers.Packed(decoded));
        output.WriteLine($"{format} q{quality} {subsampling}: {stream.Length} bytes, PSNR {psnr:F2} dB");
        Assert.True(psnr >= minimumPsnr, $"PSNR {psnr:F2} dB is below {minimumPsnr} dB");
    }

    [Fact]
    public void RoundTrip_OddSizesAndRestarts_DecodeToTheRightSize()
    {
        foreach ((int width, int height) in new[] { (1, 1), (2, 3), (17, 1), (1, 33), (31, 17), (65, 47) })
        {
            Image image = Synthetic.Create(width, height, PixelFormat.Rgb24, seed: width * 100 + height);
            foreach (JpegChromaSubsampling subsampling in new[] { JpegChromaSubsampling.Ratio420, JpegChromaSubsampling.Ratio444 })
            {
                using var stream = new MemoryStream();
                new JpegEncoder { ChromaSubsampling = subsampling, RestartInterval = 1, OptimizeHuffmanTables = true, Quality = 100 }.Encode(image, stream);
                JpegDecodedPixels decoded = new JpegDecoder().DecodePixels(stream.ToArray());
                Assert.Equal((width, height), (decoded.Width, decoded.Height));
                Assert.False(decoded.IsTruncated);
            }
        }
    }

    [Fact]
    public void Encode_ConvertsOtherFormats()
    {
        // Alpha is dropped, 16-bit is reduced, grey stays one component.
        foreach (PixelFormat format in new[] { PixelFormat.Rgba32, PixelFormat.Bgra32, PixelFormat.Rgb48, PixelFormat.Rgba64, PixelFormat.Gray16 })
        {
            Image image = Synthetic.Create(20, 10, format, seed: 7);
            using var stream = new MemoryStream();
            image.Save(stream, new JpegEncoder());
            Image decoded = Image.Load(stream.ToArray());
            Assert.Equal(format == PixelFormat.Gray16 ? PixelFormat.Gray8 : PixelFormat.Rgb24, decoded.PixelFormat);
            Assert.Equal((20, 10), (decoded.Width, decoded.Height));
        }
    }

    [Fact]
    public void Settings_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JpegEncoder { Quality = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new JpegEncoder { Quality = 101 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new JpegEncoder { RestartInterval = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new JpegEncoder { RestartInterval = 65536 });
        using var stream = new MemoryStream();
        var error = Assert.Throws<ImageFormatException>(() => new JpegEncoder().EncodePixels(new byte[65536 * 3], 65536, 1, 65536 * 3, PixelFormat.Rgb24, stream));
        Assert.Contains("65535", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new JpegEncoder().EncodePixels(new byte[10], 4, 4, 12, PixelFormat.Rgb24, stream));
        Assert.Throws<ArgumentException>(() => new JpegEncoder().EncodePixels(new byte[64], 4, 4, 16, PixelFormat.Rgba32, stream));
    }

    [Fact]
    public void Registry_HasJpegEncoderForJpgExtension()
    {
        Assert.IsType<JpegEncoder>(ImageFormatRegistry.Default.FindEncoder(ImageFormat.Jpeg));
        Assert.Same(ImageFormat.Jpeg, ImageFormatRegistry.Default.FindFormatByExtension("photo.JPG"));
    }
}

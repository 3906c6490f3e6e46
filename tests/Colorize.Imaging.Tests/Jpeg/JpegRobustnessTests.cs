using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Jpeg;

/// <summary>What the decoder refuses, and how: typed exceptions with messages a person understands, limits checked before allocating.</summary>
public sealed class JpegRobustnessTests
{
    private static readonly DecoderOptions SmallLimits = new() { MaxPixels = 1 << 20, MaxBytes = 4 << 20 };

    public static TheoryData<string> Unsupported => JpegTestHelpers.Files("jpeg/unsupported", ".jpg");

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void ArithmeticCoding_IsRefusedByName(string file)
    {
        byte[] data = File.ReadAllBytes(TestFiles.PathOf(file));
        var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().Decode(data, DecoderOptions.Default));
        Assert.Contains("arithmetic coding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwelveBitPrecision_IsRefused()
    {
        byte[] data = Corpus("cjpeg/baseline-420-q75.jpg");
        int sof = FindMarker(data, JpegConstants.Sof0);
        data[sof + 4] = 12;
        var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().DecodePixels(data));
        Assert.Contains("12-bit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xC3, "lossless")]
    [InlineData(0xC5, "hierarchical")]
    [InlineData(0xC9, "arithmetic")]
    public void OtherProcesses_AreRefused(byte marker, string word)
    {
        byte[] data = Corpus("cjpeg/baseline-420-q75.jpg");
        data[FindMarker(data, JpegConstants.Sof0) + 1] = marker;
        var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().DecodePixels(data));
        Assert.Contains(word, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDimensions_FailWithLimitExceptionBeforeAllocating()
    {
        byte[] data = Corpus("cjpeg/progressive.jpg");
        int sof = FindMarker(data, JpegConstants.Sof2);
        data[sof + 5] = 0xFF;
        data[sof + 6] = 0xFF;
        data[sof + 7] = 0xFF;
        data[sof + 8] = 0xFF;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ImageLimitException>(() => new JpegDecoder().DecodePixels(data, SmallLimits));
        Assert.Throws<ImageLimitException>(() => new JpegDecoder().Identify(data, SmallLimits));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the decoder allocated before checking the limit");

        // The default limit (16384 x 16384) refuses 65535 x 65535 as well.
        Assert.Throws<ImageLimitException>(() => new JpegDecoder().DecodePixels(data));
    }

    [Fact]
    public void NotAJpeg_IsRefused()
    {
        var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().DecodePixels("GIF89a"u8));
        Assert.Contains("not a JPEG", error.Message, StringComparison.Ordinal);
        Assert.False(new JpegDecoder().IsSupportedFormat("\u0089PNG"u8));
        Assert.True(new JpegDecoder().IsSupportedFormat(Corpus("go/video-001.jpeg").AsSpan(0, 3)));
    }

    [Theory]
    [InlineData("cjpeg/baseline-420-q75.jpg")]
    [InlineData("cjpeg/progressive-custom-scans.jpg")]
    [InlineData("cjpeg/restart-every-5-mcus.jpg")]
    [InlineData("cjpeg/sequential-three-scans.jpg")]
    [InlineData("libjpeg/ycck-q60.jpg")]
    public void EveryTruncation_DecodesOrFailsWithImageFormatException(string file)
    {
        // Cut the file at many lengths, from inside the headers to inside every scan. libjpeg shows a partly
        // grey image for a cut scan and so does this decoder; a cut header is an ImageFormatException.
        byte[] data = Corpus(file);
        int step = Math.Max(1, data.Length / 150);
        for (int length = 0; length < data.Length; length += step)
        {
            byte[] cut = data[..length];
            try
            {
                JpegDecodedPixels pixels = new JpegDecoder().DecodePixels(cut);
                Assert.True(pixels.Width > 0 && pixels.Pixels.Length == pixels.Stride * pixels.Height);
            }
            catch (ImageFormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }
    }

    [Fact]
    public void CorruptHeaderFields_FailWithImageFormatException()
    {
        byte[] original = Corpus("cjpeg/odd-mixed-2x2-2x1-1x2.jpg");
        int sof = FindMarker(original, JpegConstants.Sof0);
        int dht = FindMarker(original, JpegConstants.Dht);
        int sos = FindMarker(original, JpegConstants.Sos);
        (int Offset, byte Value, string Word)[] cases =
        [
            (sof + 11, 0x00, "sampling"),       // Y sampling factors 0x0
            (sof + 11, 0x55, "sampling"),       // 5x5
            (sof + 12, 7, "quantisation"),       // quantisation table 7
            (sof + 9, 2, "components"),          // two components
            (sof + 7, 0, "width"),               // width 0 (high byte; low byte set below)
            (dht + 5, 0xFF, "Huffman"),          // 255 codes of length 1
            (sos + 5, 9, "component"),           // scan refers to component 9
            (sos + 6, 0x55, "Huffman"),          // tables 5/5
        ];
        foreach ((int offset, byte value, string word) in cases)
        {
            byte[] data = (byte[])original.Clone();
            data[offset] = value;
            if (word == "width")
            {
                data[offset + 1] = 0;
            }

            var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().DecodePixels(data));
            Assert.Contains(word, error.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void CorruptExif_IsIgnored()
    {
        byte[] data = Corpus("pil/exif-orientation-6-ii.jpg");
        int app1 = FindMarker(data, JpegConstants.App1);

        // Point IFD0 far outside the segment: the orientation is unreadable, the image still decodes as stored.
        data[app1 + 14] = 0xFF;
        data[app1 + 15] = 0xFF;
        JpegDecodedPixels pixels = new JpegDecoder().DecodePixels(data);
        Assert.Equal((1, 40, 24), (pixels.ExifOrientation, pixels.Width, pixels.Height));
    }

    [Fact]
    public void ExifOrientation_IsReadInBothByteOrders()
    {
        for (int orientation = 1; orientation <= 8; orientation++)
        {
            foreach (string order in new[] { "ii", "mm" })
            {
                byte[] data = Corpus($"pil/exif-orientation-{orientation}-{order}.jpg");
                JpegDecodedPixels pixels = new JpegDecoder().DecodePixels(data);
                Assert.Equal(orientation, pixels.ExifOrientation);
                Assert.Equal(orientation >= 5 ? (24, 40) : (40, 24), (pixels.Width, pixels.Height));
            }
        }
    }

    [Fact]
    public void EndlessCheapScans_AreRefusedInsteadOfTakingMinutes()
    {
        // A 2048x2048 progressive grey image whose every AC scan is three end-of-band runs covering all 65536
        // blocks in six bytes, repeated 600 times: the "Two Issues with the JPEG Standard" attack. It must
        // end quickly with an ImageFormatException (the work budget), not grind through every block 600 times.
        var file = new List<byte> { 0xFF, 0xD8 };
        file.AddRange([0xFF, 0xDB, 0, 67, 0]);
        file.AddRange(Enumerable.Repeat((byte)1, 64));
        file.AddRange([0xFF, 0xC2, 0, 11, 8, 0x08, 0x00, 0x08, 0x00, 1, 1, 0x11, 0]);
        file.AddRange([0xFF, 0xC4, 0, 20, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xE0]);
        byte[] scanData = EndOfBandRuns(3, 32767);
        for (int scan = 0; scan < 600; scan++)
        {
            file.AddRange([0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 63, 0x00]);
            file.AddRange(scanData);
        }

        file.AddRange([0xFF, 0xD9]);
        var error = Assert.Throws<ImageFormatException>(() => new JpegDecoder().DecodePixels(file.ToArray()));
        Assert.Contains("scans", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Entropy-coded data: <paramref name="count"/> times the one-bit code "0" for EOB14 and its 14 run bits, padded with ones and byte-stuffed.</summary>
    private static byte[] EndOfBandRuns(int count, int run)
    {
        var bits = new List<int>();
        for (int i = 0; i < count; i++)
        {
            bits.Add(0);
            for (int b = 13; b >= 0; b--)
            {
                bits.Add(((run - (1 << 14)) >> b) & 1);
            }
        }

        while (bits.Count % 8 != 0)
        {
            bits.Add(1);
        }

        var bytes = new List<byte>();
        for (int i = 0; i < bits.Count; i += 8)
        {
            int value = 0;
            for (int b = 0; b < 8; b++)
            {
                value = (value << 1) | bits[i + b];
            }

            bytes.Add((byte)value);
            if (value == 0xFF)
            {
                bytes.Add(0);
            }
        }

        return [.. bytes];
    }

    private static byte[] Corpus(string file) => File.ReadAllBytes(TestFiles.PathOf("jpeg/" + file));

    private static int FindMarker(byte[] data, byte marker)
    {
        for (int i = 2; i < data.Length - 1; i++)
        {
            if (data[i] == 0xFF && data[i + 1] == marker)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"marker {marker:X2} not found");
    }
}

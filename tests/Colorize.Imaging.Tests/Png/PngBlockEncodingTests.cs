using System.Buffers.Binary;
using System.IO.Compression;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Common;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Png;

/// <summary>
/// The PNG encoder's image data is deflated in blocks of rows on several threads (issue 15 §4: 24 MP took seconds):
/// every level and filter mode is lossless across block boundaries, the zlib stream is whole (its Adler-32 checks out
/// when read to the end, which the PNG decoder does not do), and the bytes do not depend on the thread count.
/// </summary>
public sealed class PngBlockEncodingTests
{
    // 1500 x 1200 RGB: 4501 bytes a filtered row, 931 rows a 4 MiB block, so two blocks, the second shorter.
    private static readonly Lazy<Image> Photo = new(() => Synthetic.Create(1500, 1200, PixelFormat.Rgb24, seed: 11));

    public static TheoryData<int, PngFilterMode> Cases()
    {
        var data = new TheoryData<int, PngFilterMode>();
        for (int level = 0; level <= 9; level++)
        {
            data.Add(level, PngFilterMode.Adaptive);
        }

        foreach (var mode in new[] { PngFilterMode.None, PngFilterMode.Sub, PngFilterMode.Up, PngFilterMode.Average, PngFilterMode.Paeth })
        {
            data.Add(3, mode);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryLevelAndFilter_IsLossless_AcrossBlocks_WithAWholeZlibStream(int level, PngFilterMode mode)
    {
        var image = Photo.Value;
        Assert.True(image.Height > PngEncoder.BlockBytes / ((image.Width * 3) + 1), "the image must span more than one block");
        byte[] png = PngEncoderTests.Encode(image, new PngEncoder { CompressionLevel = level, FilterMode = mode, MaxDegreeOfParallelism = 2 });

        Synthetic.AssertSamePixels(image, Image.Load(png));

        // Read the zlib stream to its end: a wrong Adler-32 or a broken block join throws here.
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(ImageData(png)), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        Assert.Equal((long)image.Height * ((image.Width * 3) + 1), inflated.Length);
    }

    [Theory]
    [InlineData(PixelFormat.Gray8)]
    [InlineData(PixelFormat.Rgba64)]
    public void TheBytes_DoNotDependOnTheThreadCount(PixelFormat format)
    {
        var image = Synthetic.Create(1100, 1000, format, seed: 12);
        byte[] one = PngEncoderTests.Encode(image, new PngEncoder { MaxDegreeOfParallelism = 1 });
        foreach (int threads in new[] { 2, 3, 8 })
        {
            Assert.Equal(one, PngEncoderTests.Encode(image, new PngEncoder { MaxDegreeOfParallelism = threads }));
        }

        Synthetic.AssertSamePixels(image, Image.Load(one));
    }

    [Fact]
    public void Adler32_OfPiecesCombined_EqualsTheWhole()
    {
        byte[] data = new byte[100_000];
        new Random(3).NextBytes(data);
        uint whole = Adler32.Compute(data);
        foreach (int cut in new[] { 0, 1, 5552, 65521, 99_999, 100_000 })
        {
            uint combined = Adler32.Combine(Adler32.Compute(data.AsSpan(0, cut)), Adler32.Compute(data.AsSpan(cut)), data.Length - cut);
            Assert.Equal(whole, combined);
        }

        // RFC 1950's own example: "Wikipedia" is 0x11E60398.
        Assert.Equal(0x11E60398u, Adler32.Compute("Wikipedia"u8));
    }

    [Fact]
    public void Filters_MatchTheSpecification_OnLongRows()
    {
        // Rows long enough for the vector loops, at every pixel width, against ISO/IEC 15948 9.2 written out.
        var random = new Random(8);
        foreach (int bpp in new[] { 1, 2, 3, 4, 6, 8 })
        {
            byte[] raw = new byte[(bpp * 97) + 5], previous = new byte[raw.Length], output = new byte[raw.Length];
            random.NextBytes(raw);
            random.NextBytes(previous);
            for (int filter = 0; filter <= 4; filter++)
            {
                PngFilters.Filter((PngFilterType)filter, raw, previous, bpp, output);
                for (int i = 0; i < raw.Length; i++)
                {
                    int a = i >= bpp ? raw[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    int predictor = filter switch
                    {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        _ => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                    };
                    Assert.Equal((byte)(raw[i] - predictor), output[i]);
                }
            }
        }
    }

    /// <summary>The IDAT chunks' data, joined: the zlib stream.</summary>
    private static byte[] ImageData(byte[] png)
    {
        using var data = new MemoryStream();
        for (int offset = 8; offset < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8))
            {
                data.Write(png, offset + 8, length);
            }

            offset += 12 + length;
        }

        return data.ToArray();
    }
}

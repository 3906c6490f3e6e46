using System.Buffers.Binary;
using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests;

/// <summary>
/// A damaged file never decodes as if it were whole (issue 15): every codec either decodes it in full, refuses it
/// with a <see cref="TruncatedImageException"/> that says how much it decoded and carries that part, or refuses it
/// with another <see cref="ImageFormatException"/>. core/Colorize.Imaging/README.md lists what each codec does.
/// </summary>
public sealed class DamagedInputTests(ITestOutputHelper output)
{
    /// <summary>Files cut at every length below; the flag says whether some cut must give a partial image.</summary>
    public static TheoryData<string, bool> CutFiles => new()
    {
        { "jpeg/cjpeg/baseline-420-q75.jpg", true },
        { "jpeg/cjpeg/gray.jpg", true },
        { "jpeg/cjpeg/progressive.jpg", true },
        { "jpeg/cjpeg/progressive-restart.jpg", true },
        { "jpeg/cjpeg/sequential-three-scans.jpg", true },
        { "jpeg/cjpeg/restart-every-5-mcus.jpg", true },
        { "jpeg/libjpeg/ycck-q60.jpg", true },
        { "jpeg/pil/exif-orientation-6-ii.jpg", true },
        { "jpeg/pil/exif-orientation-3-mm.jpg", true },
        { "png/basn2c08.png", true },
        { "png/gen-rgb8-many-idat.png", true },
        { "png/go-gray-gradient.interlaced.png", true },
        { "png/gen-g16-i.png", true },
        { "tiff/pil-rgb8-raw.tif", true },
        { "tiff/pil-rgb8-tiff_lzw.tif", false },
        { "tiff/rgb8-lzw-tiles.tif", false },
        { "bmp/hand-rgb24.bmp", true },
        { "bmp/hand-rgb24-topdown.bmp", true },
        { "bmp/pil-pal8.bmp", true },
        { "bmp/hand-rle8.bmp", true },
        { "bmp/hand-rle4.bmp", true },
    };

    [Theory]
    [MemberData(nameof(CutFiles))]
    public void EveryCut_DecodesInFullOrSaysWhatIsMissing(string file, bool partialExpected)
    {
        byte[] original = Read(file);
        IImageDecoder decoder = ImageFormatRegistry.Default.FindDecoder(original)!;
        Image whole = decoder.Decode(original, DecoderOptions.Default);
        var failures = new List<string>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);

        // Every length near the end (a lost end marker), and about 200 others from the header to the last byte.
        var lengths = Enumerable.Range(0, original.Length).Where(n => n % Math.Max(1, original.Length / 200) == 0 || n >= original.Length - 16);
        foreach (int length in lengths)
        {
            string? failure = DamageOracle.Check(decoder, original[..length], original, whole, DecoderOptions.Default, out string outcome);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (failure is not null)
            {
                failures.Add($"cut to {length} bytes: {failure}");
            }
        }

        output.WriteLine($"{file} ({original.Length} bytes): " + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(!partialExpected || outcomes.ContainsKey("truncated"), $"no cut of {file} gave a partial image");
    }

    [Fact]
    public void HalfAJpeg_IsRefusedSayingHowManyRowsItHas()
    {
        // The report's case: the first half of a photo. It used to decode with the bottom half flat grey, and the
        // command line colorized it with exit code 0.
        byte[] whole = Read("jpeg/cjpeg/baseline-420-q75.jpg");
        byte[] half = whole[..(whole.Length / 2)];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(half));

        Assert.Matches(@"^truncated JPEG: \d+ of \d+ rows decoded$", error.Message);
        Assert.True(error.DataEnded);
        Image full = Image.Load(whole);
        Assert.Equal(full.Height, error.TotalRows);
        Assert.InRange(error.RowsDecoded, full.Height / 5, full.Height * 4 / 5);
        Assert.Equal(new System.Drawing.Rectangle(0, 0, full.Width, error.RowsDecoded), error.DecodedRegion);
        Image crop = error.CropToDecodedRegion()!;
        Assert.Null(DamageOracle.Difference(crop, Crop(full, error.RowsDecoded), new(0, 0, crop.Width, crop.Height)));
    }

    [Fact]
    public void JpegDecoder_AllowTruncated_ReturnsThePartialImageAndSaysSo()
    {
        byte[] half = Read("jpeg/cjpeg/baseline-420-q75.jpg")[..1500];

        Assert.Throws<TruncatedImageException>(() => new JpegDecoder().DecodePixels(half));
        JpegDecodedPixels pixels = new JpegDecoder { AllowTruncated = true }.DecodePixels(half);
        Image image = new JpegDecoder { AllowTruncated = true }.Decode(half, DecoderOptions.Default);

        Assert.True(pixels.IsTruncated);
        Assert.Equal((pixels.Width, pixels.Height), (image.Width, image.Height));
    }

    [Fact]
    public void ProgressiveJpegCutBetweenScans_IsRefusedAsReducedQuality()
    {
        // Cut exactly before the last scan: no scan ends early, yet the last refinement is missing from every row.
        byte[] whole = Read("jpeg/cjpeg/progressive.jpg");
        byte[] cut = whole[..LastMarker(whole, 0xDA)];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(cut));

        Assert.True(error.DataEnded);
        Assert.Equal(error.TotalRows, error.RowsDecoded);
        Assert.Contains("reduced quality", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SequentialJpegMissingAComponentScan_IsRefused()
    {
        // Components coded in separate scans; the file ends before the last one, so one colour channel is absent.
        byte[] whole = Read("jpeg/cjpeg/sequential-three-scans.jpg");
        byte[] cut = whole[..LastMarker(whole, 0xDA)];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(cut));

        Assert.Equal(0, error.RowsDecoded);
        Assert.Null(error.CropToDecodedRegion());
    }

    [Theory]
    [InlineData("jpeg/damaged/truncated-baseline-no-eoi.jpg")]
    [InlineData("jpeg/damaged/progressive-no-eoi.jpg")]
    public void JpegMissingOnlyItsEndMarker_DecodesInFull(string file)
    {
        // Every scan is complete; only the two-byte end marker is gone, which many viewers never notice.
        Image image = Image.Load(Read(file));
        Assert.True(image.Width > 0);
    }

    [Theory]
    [InlineData("jpeg/damaged/restart-marker-missing.jpg")]
    [InlineData("jpeg/damaged/restart-marker-previous-number.jpg")]
    [InlineData("jpeg/damaged/restart-two-markers-missing.jpg")]
    public void JpegWithBlankedRestartIntervals_IsRefusedAsDamaged(string file)
    {
        // libjpeg leaves the intervals it cannot place grey and only warns; the file is whole but its data is damaged.
        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(Read(file)));

        Assert.False(error.DataEnded);
        Assert.StartsWith("damaged JPEG: ", error.Message, StringComparison.Ordinal);
        Assert.InRange(error.RowsDecoded, 0, error.TotalRows - 1);
    }

    [Theory]
    [InlineData("png/basn2c08.png")]
    [InlineData("png/go-benchRGB-interlace.png")]
    public void TruncatedPng_IsRefusedWithTheRowsItHas(string file)
    {
        byte[] whole = Read(file);
        byte[] cut = whole[..(whole.Length * 3 / 4)];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(cut));

        Assert.Matches(@"^truncated PNG: \d+ of \d+ rows decoded", error.Message);
        Image full = Image.Load(whole);
        Assert.InRange(error.RowsDecoded, 1, full.Height - 1);
        Assert.Null(DamageOracle.Difference(full, error.DecodedImage, error.DecodedRegion));
    }

    [Fact]
    public void PngWithoutIend_DecodesInFull()
    {
        // The image data is complete; a lost IEND chunk loses nothing.
        byte[] whole = Read("png/basn2c08.png");
        Image image = Image.Load(whole.AsMemory(0, whole.Length - 12));
        Assert.Null(DamageOracle.Difference(Image.Load(whole), image, new(0, 0, image.Width, image.Height)));
    }

    [Fact]
    public void PngWithBadCrc_IsRefusedOutright()
    {
        byte[] data = Read("invalid/go-invalid-crc32.png");
        var error = Assert.ThrowsAny<ImageFormatException>(() => Image.Load(data));
        Assert.IsNotType<TruncatedImageException>(error);
        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PngWhoseImageDataEndsEarly_IsRefusedWithTheRowsItHas()
    {
        // Every chunk is whole and its CRC right, but the compressed stream stops before the last row: an encoder
        // that was interrupted. Built by cutting the zlib stream of a one-IDAT file and fixing the chunk's CRC.
        byte[] whole = Read("png/basn2c08.png");
        int idat = IndexOf(whole, "IDAT"u8) - 4;
        int length = BinaryPrimitives.ReadInt32BigEndian(whole.AsSpan(idat));
        int shorter = length / 2;
        byte[] body = whole.AsSpan(idat + 8, shorter).ToArray();
        byte[] data = [.. whole.AsSpan(0, idat), .. PngChunk("IDAT", body), .. whole.AsSpan(idat + 12 + length)];

        var error = Assert.Throws<TruncatedImageException>(() => new PngDecoder().Decode(data, DecoderOptions.Default));

        Assert.InRange(error.RowsDecoded, 1, error.TotalRows - 1);
        Assert.Null(DamageOracle.Difference(Image.Load(whole), error.DecodedImage, error.DecodedRegion));
    }

    public static TheoryData<string> TiffsWithStrips => new()
    {
        "tiff/pil-rgb8-raw.tif", "tiff/pil-rgb8-tiff_lzw.tif", "tiff/pil-rgb8-tiff_adobe_deflate.tif", "tiff/pil-rgb8-packbits.tif",
        "tiff/rgb16-lzw-pred-be.tif", "tiff/g8-zip-le.tif", "tiff/rgba8-planar-lzw.tif", "tiff/rgb8-zip-tiles-be.tif",
    };

    [Theory]
    [MemberData(nameof(TiffsWithStrips))]
    public void TiffWithItsDirectoryFirst_EveryCut_DecodesInFullOrSaysWhatIsMissing(string file)
    {
        // libtiff writes the directory last, so cutting such a file loses it; writers that put it first (PIL for
        // uncompressed data, many scanners) lose strips instead. Move the directory to the front and cut.
        byte[] original = TiffWithDirectoryFirst(Read(file));
        var decoder = new Formats.Tiff.TiffDecoder();
        Image whole = decoder.Decode(original, DecoderOptions.Default);
        Assert.Null(DamageOracle.Difference(Image.Load(Read(file)), whole, new(0, 0, whole.Width, whole.Height)));
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        for (int length = 0; length < original.Length; length += Math.Max(1, original.Length / 200))
        {
            if (DamageOracle.Check(decoder, original[..length], original, whole, DecoderOptions.Default, out string outcome) is { } failure)
            {
                failures.Add($"cut to {length} bytes: {failure}");
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine($"{file} ({original.Length} bytes): " + string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(outcomes.ContainsKey("truncated"));
    }

    [Theory]
    [InlineData("tiff/pil-rgb8-raw.tif")]
    [InlineData("tiff/pil-rgb8-tiff_lzw.tif")]
    public void TruncatedTiff_IsRefusedWithTheRowsItHas(string file)
    {
        byte[] whole = TiffWithDirectoryFirst(Read(file));
        byte[] cut = whole[..(whole.Length * 2 / 3)];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(cut));

        Assert.Matches(@"^truncated TIFF: \d+ of \d+ rows decoded", error.Message);
        Image full = Image.Load(whole);
        Assert.InRange(error.RowsDecoded, 1, full.Height - 1);
        Assert.Null(DamageOracle.Difference(full, error.DecodedImage, error.DecodedRegion));
    }

    [Fact]
    public void TiffStripShorterThanItsRows_IsRefusedAsDamaged()
    {
        // The strip's byte count says fewer bytes than its rows need, inside a file that is whole.
        byte[] data = Read("tiff/pil-rgb8-raw.tif");
        PatchTiffTag(data, 279, value => value / 2);

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(data));

        Assert.False(error.DataEnded);
        Assert.StartsWith("damaged TIFF: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bmp/hand-rgb24.bmp", true)]
    [InlineData("bmp/hand-rgb24-topdown.bmp", false)]
    [InlineData("bmp/hand-rle8.bmp", true)]
    public void TruncatedBmp_IsRefusedWithTheRowsItHas(string file, bool bottomUp)
    {
        // Cut halfway through the pixels (a palette can take most of a small file).
        byte[] whole = Read(file);
        int pixels = BinaryPrimitives.ReadInt32LittleEndian(whole.AsSpan(10));
        byte[] cut = whole[..(pixels + ((whole.Length - pixels) / 2))];

        var error = Assert.Throws<TruncatedImageException>(() => Image.Load(cut));

        Assert.Matches(@"^truncated BMP: \d+ of \d+ rows decoded", error.Message);
        Image full = Image.Load(whole);
        Assert.InRange(error.RowsDecoded, 1, full.Height - 1);
        Assert.Equal(bottomUp ? full.Height : error.RowsDecoded, error.DecodedRegion.Bottom);
        Assert.Null(DamageOracle.Difference(full, error.DecodedImage, error.DecodedRegion));
    }

    private static byte[] Read(string file) => File.ReadAllBytes(TestFiles.PathOf(file));

    private static Image Crop(Image image, int rows)
    {
        var crop = new Image(image.Width, rows, image.PixelFormat);
        for (int y = 0; y < rows; y++)
        {
            image.GetRowBytes(y).CopyTo(crop.GetRowBytes(y));
        }

        return crop;
    }

    /// <summary>Where the last FF <paramref name="marker"/> of a JPEG starts.</summary>
    private static int LastMarker(byte[] data, byte marker)
    {
        for (int i = data.Length - 2; i > 1; i--)
        {
            if (data[i] == 0xFF && data[i + 1] == marker)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"no FF {marker:X2} marker");
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> pattern) => data.AsSpan().IndexOf(pattern);

    private static byte[] PngChunk(string type, byte[] body)
    {
        byte[] chunk = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, body.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        body.CopyTo(chunk, 8);
        uint crc = Formats.Common.Crc32.Compute(chunk.AsSpan(4, 4 + body.Length));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + body.Length), crc);
        return chunk;
    }

    /// <summary>
    /// The same TIFF with its first directory (and the values it points to) moved right after the header, the rest of
    /// the file following unchanged; strip and tile offsets are moved along. Either byte order.
    /// </summary>
    private static byte[] TiffWithDirectoryFirst(byte[] tiff)
    {
        bool big = tiff[0] == 'M';
        uint U32(ReadOnlySpan<byte> b) => big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
        ushort U16(ReadOnlySpan<byte> b) => big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
        void Put32(Span<byte> b, uint v)
        {
            if (big)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b, v);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            }
        }

        int ifd = (int)U32(tiff.AsSpan(4));
        int count = U16(tiff.AsSpan(ifd));
        int directoryBytes = 2 + (12 * count) + 4;
        var entries = new byte[12 * count];
        var outOfLine = new List<(int Entry, int Offset, int Bytes)>();
        for (int i = 0; i < count; i++)
        {
            int entry = ifd + 2 + (12 * i);
            tiff.AsSpan(entry, 12).CopyTo(entries.AsSpan(12 * i));
            int size = U16(tiff.AsSpan(entry + 2)) switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 5 or 10 or 12 => 8, _ => 4 };
            int bytes = size * (int)U32(tiff.AsSpan(entry + 4));
            if (bytes > 4)
            {
                outOfLine.Add((i, (int)U32(tiff.AsSpan(entry + 8)), bytes));
            }
        }

        int shift = directoryBytes + outOfLine.Sum(o => o.Bytes + (o.Bytes & 1));
        byte[] result = new byte[8 + shift + tiff.Length - 8];
        tiff.AsSpan(0, 4).CopyTo(result);
        Put32(result.AsSpan(4), 8);
        int at = 8 + directoryBytes;
        foreach ((int entry, int offset, int bytes) in outOfLine)
        {
            tiff.AsSpan(offset, bytes).CopyTo(result.AsSpan(at));
            Put32(entries.AsSpan((12 * entry) + 8), (uint)at);
            at += bytes + (bytes & 1);
        }

        tiff.AsSpan(8).CopyTo(result.AsSpan(8 + shift));
        result[8] = tiff[ifd];
        result[9] = tiff[ifd + 1];
        entries.CopyTo(result.AsSpan(10));

        // Strip and tile offsets (273, 324) point into the moved data.
        for (int i = 0; i < count; i++)
        {
            Span<byte> entry = result.AsSpan(10 + (12 * i), 12);
            if (U16(entry) is not (273 or 324))
            {
                continue;
            }

            bool shortValues = U16(entry[2..]) == 3;
            int n = (int)U32(entry[4..]);
            int valuesAt = (shortValues ? 2 : 4) * n <= 4 ? 10 + (12 * i) + 8 : (int)U32(entry[8..]);
            for (int k = 0; k < n; k++)
            {
                Assert.False(shortValues, "SHORT strip offsets cannot move");
                Span<byte> value = result.AsSpan(valuesAt + (4 * k), 4);
                Put32(value, U32(value) + (uint)shift);
            }
        }

        return result;
    }

    /// <summary>Rewrites the first value of a SHORT or LONG tag of a little-endian TIFF in place.</summary>
    private static void PatchTiffTag(byte[] data, ushort tag, Func<uint, uint> change)
    {
        var le = BinaryPrimitives.ReadUInt32LittleEndian;
        Assert.Equal((byte)'I', data[0]);
        int ifd = (int)le(data.AsSpan(4));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(ifd));
        for (int i = 0; i < count; i++)
        {
            int entry = ifd + 2 + (12 * i);
            if (BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(entry)) != tag)
            {
                continue;
            }

            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(entry + 2));
            uint n = le(data.AsSpan(entry + 4));
            int at = (type == 3 ? 2 : 4) * n <= 4 ? entry + 8 : (int)le(data.AsSpan(entry + 8));
            if (type == 3)
            {
                ushort old = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at), (ushort)change(old));
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(at), change(le(data.AsSpan(at))));
            }

            return;
        }

        throw new InvalidOperationException($"tag {tag} not found");
    }
}

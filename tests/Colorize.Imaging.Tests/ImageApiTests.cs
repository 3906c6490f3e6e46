using System.Runtime.InteropServices;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Tests.Infrastructure;
using Colorize.Imaging.Tests.Png;

namespace Colorize.Imaging.Tests;

public sealed class ImageApiTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("colorize-imaging-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Load_DetectsFormatFromContentNotName()
    {
        string misnamed = Path.Combine(_folder, "really-a-png.bmp");
        File.Copy(TestFiles.PathOf("png/basn2c08.png"), misnamed);

        Image image = Image.Load(misnamed);

        Assert.Equal(ImageFormat.Png, Image.Identify(misnamed).Format);
        Assert.Equal((32, 32, PixelFormat.Rgb24), (image.Width, image.Height, image.PixelFormat));
    }

    [Fact]
    public void Load_UnknownContent_ThrowsUnknownImageFormatException()
    {
        var error = Assert.Throws<UnknownImageFormatException>(() => Image.Load("not an image at all"u8.ToArray()));
        Assert.Contains("PNG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FromNonSeekableStream_Works()
    {
        byte[] png = File.ReadAllBytes(TestFiles.PathOf("png/basn0g16.png"));
        using var stream = new NonSeekableStream(png);

        Image image = Image.Load(stream);

        Assert.Equal(PixelFormat.Gray16, image.PixelFormat);
    }

    [Fact]
    public void Limits_AreCheckedBeforeAllocating()
    {
        // A valid 1x1 PNG whose header is patched to claim 100000 x 100000 (CRC fixed): the limit must fire
        // from the header alone, allocating nothing near 10^10 pixels.
        Image tiny = new(1, 1, PixelFormat.Gray8);
        byte[] png = PngEncoderTests.Encode(tiny, new PngEncoder());
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Formats.Common.Crc32.Compute(png.AsSpan(12, 17)));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageLimitException>(() => Image.Load(png));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("100000x100000", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Limits_AreConfigurable()
    {
        byte[] png = File.ReadAllBytes(TestFiles.PathOf("png/basn2c08.png")); // 32 x 32

        Assert.Throws<ImageLimitException>(() => Image.Load(png, new DecoderOptions { MaxPixels = 1000 }));
        Assert.Throws<ImageLimitException>(() => Image.Load(png, new DecoderOptions { MaxBytes = 3000 }));
        Assert.Equal(32, Image.Load(png, new DecoderOptions { MaxPixels = 1024, MaxBytes = 3072 }).Width);
    }

    [Theory]
    [InlineData("out.png", "PNG")]
    [InlineData("out.BMP", "BMP")]
    [InlineData("out.tiff", "TIFF")]
    public void Save_ChoosesFormatFromExtension(string name, string format)
    {
        Image original = Synthetic.Create(9, 4, PixelFormat.Rgb24, seed: 1);
        string path = Path.Combine(_folder, name);

        original.Save(path);

        Assert.Equal(format, Image.Identify(path).Format.Name);
        Synthetic.AssertSamePixels(original, Image.Load(path));
        Assert.Single(Directory.GetFiles(_folder)); // no temporary file left behind
    }

    [Fact]
    public void Save_UnknownExtension_Throws()
    {
        Image image = new(2, 2, PixelFormat.Gray8);
        Assert.Throws<UnknownImageFormatException>(() => image.Save(Path.Combine(_folder, "out.xyz")));
    }

    [Fact]
    public void Save_FailingEncoder_LeavesExistingFileUntouched()
    {
        string path = Path.Combine(_folder, "keep.png");
        File.WriteAllBytes(path, [1, 2, 3]);
        Image image = new(2, 2, PixelFormat.Gray8);

        Assert.Throws<InvalidOperationException>(() => image.Save(path, new FailingEncoder()));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Save_OverwriteFalse_RefusesExistingFile()
    {
        string path = Path.Combine(_folder, "exists.png");
        File.WriteAllBytes(path, [1]);
        Image image = new(2, 2, PixelFormat.Gray8);

        Assert.Throws<IOException>(() => image.Save(path, new PngEncoder(), overwrite: false));
        Assert.Equal([1], File.ReadAllBytes(path));
    }

    [Fact]
    public void Save_OverTheFileItWasLoadedFrom_Works()
    {
        string path = Path.Combine(_folder, "same.png");
        Synthetic.Create(5, 5, PixelFormat.Rgb24, seed: 2).Save(path);
        Image loaded = Image.Load(path);

        loaded.Save(path);

        Synthetic.AssertSamePixels(loaded, Image.Load(path));
    }

    [Fact]
    public void Wrap_SharesTheCallersMemory()
    {
        byte[] memory = new byte[3 * 10 + 4]; // stride 10 for 3-byte pixels, width 3: one byte of padding per row
        var buffer = new PixelBuffer(memory, 3, 3, 10, PixelFormat.Rgb24);
        Image image = Image.Wrap(buffer);

        image.GetRow<Rgb24>(1)[2] = new Rgb24(7, 8, 9);

        Assert.Equal([7, 8, 9], memory[16..19]);
        Assert.Equal(0, memory[19]);
    }

    [Fact]
    public unsafe void PixelBuffer_FromPointer_ReadsNativeMemory()
    {
        nint native = Marshal.AllocHGlobal(64);
        try
        {
            new Span<byte>((void*)native, 64).Clear();
            var buffer = PixelBuffer.FromPointer(native, 4, 2, 32, PixelFormat.Bgra32);
            Image.Wrap(buffer).GetRow<Bgra32>(1)[3] = new Bgra32(1, 2, 3, 4);

            Assert.Equal(4, ((byte*)native)[32 + 12 + 3]);
            Assert.Equal(16, buffer.RowByteCount);
            Assert.False(buffer.IsContiguous);
        }
        finally
        {
            Marshal.FreeHGlobal(native);
        }
    }

    [Fact]
    public void PixelBuffer_ValidatesBounds()
    {
        Assert.Throws<ArgumentException>(() => new PixelBuffer(new byte[10], 2, 2, 6, PixelFormat.Rgb24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(new byte[100], 4, 2, 11, PixelFormat.Rgb24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(new byte[100], 0, 2, 12, PixelFormat.Rgb24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixelBuffer(new byte[100], 2, 2, 12, PixelFormat.Unknown));
        var ok = new PixelBuffer(new byte[9], 1, 2, 6, PixelFormat.Rgb24);
        Assert.Throws<ArgumentOutOfRangeException>(() => ok.GetRow(2));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(128, 0)]
    [InlineData(129, 1)]
    [InlineData(32767, 127)]
    [InlineData(32896, 128)]
    [InlineData(65535, 255)]
    public void SixteenToEight_RoundsToNearest(int v16, int v8)
    {
        // Nearest 8-bit value of v16 / 257, computed here in floating point, independently of the integer formula.
        Assert.Equal(v8, (int)Math.Round(v16 / 257.0, MidpointRounding.AwayFromZero));
        var image = new Image(1, 1, PixelFormat.Gray16);
        image.GetRow<ushort>(0)[0] = (ushort)v16;

        Assert.Equal(v8, image.ConvertTo(PixelFormat.Gray8).GetRowBytes(0)[0]);
    }

    [Fact]
    public void Conversions_RoundTripLosslesslyWhereTheyCan()
    {
        Image rgb = Synthetic.Create(17, 5, PixelFormat.Rgb24, seed: 4);

        Synthetic.AssertSamePixels(rgb, rgb.ConvertTo(PixelFormat.Rgb48).ConvertTo(PixelFormat.Rgb24));
        Synthetic.AssertSamePixels(rgb, rgb.ConvertTo(PixelFormat.Bgra32).ConvertTo(PixelFormat.Rgba64).ConvertTo(PixelFormat.Rgb24));
        Image gray = Synthetic.Create(17, 5, PixelFormat.Gray8, seed: 5);
        Synthetic.AssertSamePixels(gray, gray.ConvertTo(PixelFormat.Rgb24).ConvertTo(PixelFormat.Gray8));
        Synthetic.AssertSamePixels(gray, gray.ConvertTo(PixelFormat.Gray16).ConvertTo(PixelFormat.Gray8));
    }

    [Fact]
    public void RgbToGray_UsesBt601LumaLikePil()
    {
        var image = new Image(3, 1, PixelFormat.Rgb24);
        image.GetRow<Rgb24>(0)[0] = new Rgb24(255, 0, 0);
        image.GetRow<Rgb24>(0)[1] = new Rgb24(0, 255, 0);
        image.GetRow<Rgb24>(0)[2] = new Rgb24(10, 200, 30);

        byte[] gray = image.ConvertTo(PixelFormat.Gray8).GetRowBytes(0).ToArray();

        // PIL: Image.new("RGB", ...).convert("L") gives 76, 150 and 124 for these pixels (0.299/0.587/0.114).
        Assert.Equal([76, 150, 124], gray);
    }

    [Fact]
    public void CopyTo_ConvertsIntoAHostBuffer()
    {
        Image rgb = Synthetic.Create(4, 3, PixelFormat.Rgb24, seed: 6);
        var host = new PixelBuffer(new byte[3 * 20], 4, 3, 20, PixelFormat.Bgra32);

        rgb.CopyTo(host);

        Rgb24 source = rgb.GetRow<Rgb24>(2)[3];
        Bgra32 copied = Image.Wrap(host).GetRow<Bgra32>(2)[3];
        Assert.Equal(new Bgra32(source.B, source.G, source.R, 255), copied);
    }

    private sealed class FailingEncoder : IImageEncoder
    {
        public ImageFormat Format => ImageFormat.Png;

        public void Encode(Image image, Stream stream)
        {
            stream.Write([9, 9, 9]);
            throw new InvalidOperationException("simulated failure half-way");
        }
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}

using System.IO.Compression;
using System.Runtime.InteropServices;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Bmp;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Formats.Tiff;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests;

/// <summary>
/// Writes one file per encoder variant with the pixels it must decode to, and checks them with our decoders.
/// With COLORIZE_ENCODER_OUTPUT_DIR set, the files stay in that folder so reference/verify_encoders.py can decode
/// them with PIL, pypng and tifffile (the independent half of the round trip; CI does not run it).
/// </summary>
public sealed class EncoderOutputTests
{
    public static TheoryData<string, PixelFormat> Variants => new()
    {
        { "png-gray8.png", PixelFormat.Gray8 },
        { "png-gray16.png", PixelFormat.Gray16 },
        { "png-rgb24.png", PixelFormat.Rgb24 },
        { "png-rgb48.png", PixelFormat.Rgb48 },
        { "png-rgba32.png", PixelFormat.Rgba32 },
        { "png-rgba64.png", PixelFormat.Rgba64 },
        { "bmp-gray8.bmp", PixelFormat.Gray8 },
        { "bmp-rgb24.bmp", PixelFormat.Rgb24 },
        { "bmp-rgba32.bmp", PixelFormat.Rgba32 },
        { "tiff-gray8.tif", PixelFormat.Gray8 },
        { "tiff-gray16.tif", PixelFormat.Gray16 },
        { "tiff-rgb24.tif", PixelFormat.Rgb24 },
        { "tiff-rgb48.tif", PixelFormat.Rgb48 },
        { "tiff-rgba32.tif", PixelFormat.Rgba32 },
        { "tiff-rgba64-none.tif", PixelFormat.Rgba64 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void EncoderOutput_DecodesToTheSamePixels(string name, PixelFormat format)
    {
        string folder = Environment.GetEnvironmentVariable("COLORIZE_ENCODER_OUTPUT_DIR") ?? Path.Combine(Path.GetTempPath(), "colorize-encoder-output");
        Directory.CreateDirectory(folder);
        Image image = Synthetic.Create(45, 31, format, seed: name.Length);
        IImageEncoder encoder = name switch
        {
            _ when name.EndsWith(".bmp", StringComparison.Ordinal) => new BmpEncoder(),
            _ when name.Contains("-none", StringComparison.Ordinal) => new TiffEncoder { Compression = TiffCompression.None },
            _ when name.EndsWith(".tif", StringComparison.Ordinal) => new TiffEncoder(),
            _ => new PngEncoder(),
        };
        string path = Path.Combine(folder, name);

        image.Save(path, encoder);
        WriteReference(path + ".ref.gz", image);

        Synthetic.AssertSamePixels(image, Image.Load(path));
        ReferenceImage.Load(path + ".ref.gz").AssertMatches(image, name);
    }

    private static void WriteReference(string path, Image image)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        Span<byte> header = stackalloc byte[14];
        "CREF"u8.CopyTo(header);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header[4..], image.Width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header[8..], image.Height);
        header[12] = (byte)image.PixelFormat.ChannelCount();
        header[13] = (byte)image.PixelFormat.BitsPerChannel();
        gzip.Write(header);
        for (int y = 0; y < image.Height; y++)
        {
            if (image.PixelFormat.BytesPerChannel() == 2 && !BitConverter.IsLittleEndian)
            {
                ushort[] swapped = MemoryMarshal.Cast<byte, ushort>(image.GetRowBytes(y)).ToArray();
                System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(swapped, swapped);
                gzip.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
            }
            else
            {
                gzip.Write(image.GetRowBytes(y));
            }
        }
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging.Tests.Infrastructure;

/// <summary>
/// Reference pixels written by reference/make_fixtures.py from an independent decoder (PIL, pypng) or from the
/// array the script encoded: gzip of "CREF", width, height, channels, bits, then little-endian samples.
/// </summary>
internal sealed class ReferenceImage
{
    private ReferenceImage(int width, int height, int channels, int bits, byte[] samples)
    {
        Width = width;
        Height = height;
        Channels = channels;
        Bits = bits;
        Samples = samples;
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    public int Bits { get; }

    public byte[] Samples { get; }

    /// <summary>The pixel format our decoders return for this layout.</summary>
    public PixelFormat ExpectedFormat => (Channels, Bits) switch
    {
        (1, 8) => PixelFormat.Gray8,
        (1, 16) => PixelFormat.Gray16,
        (3, 8) => PixelFormat.Rgb24,
        (3, 16) => PixelFormat.Rgb48,
        (4, 8) => PixelFormat.Rgba32,
        (4, 16) => PixelFormat.Rgba64,
        _ => throw new InvalidDataException($"Unexpected reference layout {Channels}x{Bits}."),
    };

    public static ReferenceImage Load(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        byte[] all = memory.ToArray();
        if (all.Length < 14 || all[0] != 'C' || all[1] != 'R' || all[2] != 'E' || all[3] != 'F')
        {
            throw new InvalidDataException($"{path} is not a reference file.");
        }

        int width = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(4));
        int height = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(8));
        return new ReferenceImage(width, height, all[12], all[13], all[14..]);
    }

    /// <summary>Asserts that <paramref name="image"/> has exactly these pixels, naming the first difference.</summary>
    public void AssertMatches(Image image, string name)
    {
        Assert.Equal(ExpectedFormat, image.PixelFormat);
        Assert.Equal((Width, Height), (image.Width, image.Height));
        int rowSamples = Width * Channels;
        for (int y = 0; y < Height; y++)
        {
            if (Bits == 8)
            {
                ReadOnlySpan<byte> expected = Samples.AsSpan(y * rowSamples, rowSamples);
                ReadOnlySpan<byte> actual = image.GetRowBytes(y);
                int at = expected.CommonPrefixLength(actual);
                if (at < rowSamples)
                {
                    Assert.Fail($"{name}: pixel ({at / Channels}, {y}) channel {at % Channels} is {actual[at]}, reference {expected[at]}.");
                }
            }
            else
            {
                ReadOnlySpan<ushort> actual = MemoryMarshal.Cast<byte, ushort>(image.GetRowBytes(y));
                for (int i = 0; i < rowSamples; i++)
                {
                    ushort expected = BinaryPrimitives.ReadUInt16LittleEndian(Samples.AsSpan((y * rowSamples + i) * 2));
                    if (actual[i] != expected)
                    {
                        Assert.Fail($"{name}: pixel ({i / Channels}, {y}) channel {i % Channels} is {actual[i]}, reference {expected}.");
                    }
                }
            }
        }
    }
}

using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging.Tests.Infrastructure;

/// <summary>Deterministic test pictures: gradients with seeded noise, covering the full value range of each format.</summary>
internal static class Synthetic
{
    public static Image Create(int width, int height, PixelFormat format, int seed)
    {
        var image = new Image(width, height, format);
        var random = new Random(seed);
        for (int y = 0; y < height; y++)
        {
            Span<byte> row = image.GetRowBytes(y);
            if (format.BytesPerChannel() == 2)
            {
                Span<ushort> samples = MemoryMarshal.Cast<byte, ushort>(row);
                for (int i = 0; i < samples.Length; i++)
                {
                    samples[i] = (i + y) % 7 == 0 ? (ushort)random.Next(65536) : (ushort)((i * 977 + y * 4099) & 0xFFFF);
                }
            }
            else
            {
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = (i + y) % 7 == 0 ? (byte)random.Next(256) : (byte)(i * 3 + y * 5);
                }
            }
        }

        return image;
    }

    public static void AssertSamePixels(Image expected, Image actual)
    {
        Assert.Equal(expected.PixelFormat, actual.PixelFormat);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int y = 0; y < expected.Height; y++)
        {
            Assert.True(expected.GetRowBytes(y).SequenceEqual(actual.GetRowBytes(y)), $"row {y} differs");
        }
    }
}

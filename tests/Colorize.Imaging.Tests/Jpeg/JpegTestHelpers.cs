using Colorize.Abstractions;
using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Jpeg;

/// <summary>Shared bits of the JPEG suites: comparing with reference pixels within a tolerance, PSNR, the corpus.</summary>
internal static class JpegTestHelpers
{
    /// <summary>The largest per-channel difference between <paramref name="image"/> and <paramref name="reference"/>.</summary>
    public static int MaxDifference(ReferenceImage reference, Image image, string name)
    {
        Assert.Equal(8, reference.Bits);
        Assert.True(reference.ExpectedFormat == image.PixelFormat, $"{name}: decoded as {image.PixelFormat}, reference is {reference.ExpectedFormat}");
        Assert.True((reference.Width, reference.Height) == (image.Width, image.Height),
            $"{name}: decoded {image.Width}x{image.Height}, reference {reference.Width}x{reference.Height}");
        int rowSamples = reference.Width * reference.Channels;
        int max = 0;
        for (int y = 0; y < reference.Height; y++)
        {
            ReadOnlySpan<byte> expected = reference.Samples.AsSpan(y * rowSamples, rowSamples);
            ReadOnlySpan<byte> actual = image.GetRowBytes(y);
            for (int i = 0; i < rowSamples; i++)
            {
                max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
            }
        }

        return max;
    }

    /// <summary>Peak signal-to-noise ratio in dB of 8-bit samples.</summary>
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }

        double mse = sum / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>The pixels of <paramref name="image"/> as one packed array.</summary>
    public static byte[] Packed(Image image)
    {
        int row = image.Width * image.PixelFormat.BytesPerPixel();
        var all = new byte[row * image.Height];
        for (int y = 0; y < image.Height; y++)
        {
            image.GetRowBytes(y).CopyTo(all.AsSpan(y * row));
        }

        return all;
    }

    /// <summary>Every file in a corpus folder (relative to TestData) with the given extension.</summary>
    public static TheoryData<string> Files(string folder, string extension)
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.EnumerateFiles(TestFiles.PathOf(folder), "*" + extension).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(TestFiles.Root, path).Replace(Path.DirectorySeparatorChar, '/'));
        }

        return data;
    }

    /// <summary>A reference's samples as an image in our format, for encoding.</summary>
    public static Image ToImage(ReferenceImage reference)
    {
        var image = new Image(reference.Width, reference.Height, reference.ExpectedFormat);
        int row = reference.Width * reference.Channels;
        for (int y = 0; y < reference.Height; y++)
        {
            reference.Samples.AsSpan(y * row, row).CopyTo(image.GetRowBytes(y));
        }

        return image;
    }
}

using System.Drawing;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Jpeg;

namespace Colorize.Imaging.Tests.Infrastructure;

/// <summary>
/// What every decoder must do with a damaged file, checked for one decode. Either it decodes in full, and then a
/// file cut short must give exactly the whole file's pixels (anything else is silent corruption); or it fails with
/// <see cref="TruncatedImageException"/>, whose decoded part is consistent (and, for a file cut short, equal to the
/// whole file's pixels there); or it fails with another <see cref="ImageFormatException"/> with a message.
/// </summary>
internal static class DamageOracle
{
    /// <summary>Decodes <paramref name="data"/> and returns what broke the rule, or null.</summary>
    /// <param name="decoder">The decoder to run.</param>
    /// <param name="data">The damaged file.</param>
    /// <param name="original">The intact file it was made from.</param>
    /// <param name="whole">The intact file's decode, or null when it has none (then only consistency is checked).</param>
    /// <param name="options">The limits.</param>
    /// <param name="outcome">"decoded", "truncated", "damaged" or the exception's type name.</param>
    public static string? Check(IImageDecoder decoder, byte[] data, byte[] original, Image? whole, DecoderOptions options, out string outcome) =>
        Check(decoder, data, original, whole, options, out outcome, out _);

    /// <summary>Like the other overload; also gives the bytes the decode itself allocated (the checks after it allocate more).</summary>
    public static string? Check(IImageDecoder decoder, byte[] data, byte[] original, Image? whole, DecoderOptions options, out string outcome, out long allocated)
    {
        bool prefix = data.Length < original.Length && original.AsSpan(0, data.Length).SequenceEqual(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        allocated = 0;
        try
        {
            Image image = decoder.Decode(data, options);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            outcome = "decoded";
            return prefix && whole is not null && Difference(whole, image, new Rectangle(0, 0, whole.Width, whole.Height)) is { } difference
                ? $"the file cut to {data.Length} of {original.Length} bytes decoded as complete, but {difference}: silent corruption"
                : null;
        }
        catch (TruncatedImageException e)
        {
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            outcome = e.DataEnded ? "truncated" : "damaged";
            return CheckPartial(decoder, data, e, prefix ? whole : null, IsProgressiveJpeg(original), options);
        }
        catch (ImageFormatException e)
        {
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            outcome = e.GetType().Name;
            return string.IsNullOrWhiteSpace(e.Message) ? $"{e.GetType().Name} without a message" : null;
        }
    }

    private static string? CheckPartial(IImageDecoder decoder, byte[] data, TruncatedImageException e, Image? whole, bool progressive, DecoderOptions options)
    {
        string expectedStart = $"{(e.DataEnded ? "truncated" : "damaged")} {e.FormatName}: {e.RowsDecoded} of {e.TotalRows} rows decoded";
        if (!e.Message.StartsWith(expectedStart, StringComparison.Ordinal))
        {
            return $"the message '{e.Message}' does not start with '{expectedStart}'";
        }

        Image image = e.DecodedImage;
        Rectangle region = e.DecodedRegion;
        bool bandOfRows = region.Width == image.Width && region.Height == e.RowsDecoded;
        bool bandOfColumns = region.Height == image.Height && region.Width == e.RowsDecoded;
        if (e.RowsDecoded > 0 && !bandOfRows && !bandOfColumns)
        {
            return $"{e.RowsDecoded} rows decoded but the decoded region is {region}";
        }

        if (e.TotalRows != image.Height && e.TotalRows != image.Width)
        {
            return $"{e.TotalRows} rows in all, but the image is {image.Width}x{image.Height}";
        }

        Image? crop = e.CropToDecodedRegion();
        if ((crop is null) != (e.RowsDecoded == 0) || (crop is not null && (crop.Width, crop.Height) != (region.Width, region.Height)))
        {
            return $"CropToDecodedRegion gave {(crop is null ? "nothing" : $"{crop.Width}x{crop.Height}")} for the region {region}";
        }

        if (whole is not null)
        {
            if (!e.DataEnded)
            {
                return "a file cut short was reported as damaged, not truncated";
            }

            if ((image.Width, image.Height, image.PixelFormat) != (whole.Width, whole.Height, whole.PixelFormat))
            {
                return $"the partial image is {image.Width}x{image.Height} {image.PixelFormat}, the whole file's {whole.Width}x{whole.Height} {whole.PixelFormat}";
            }

            // A progressive JPEG's decoded rows lack the later scans, so they are coarser than the whole file's.
            if (!progressive && Difference(whole, image, region) is { } difference)
            {
                return $"inside the decoded region {region}, {difference}";
            }
        }

        if (decoder is JpegDecoder jpeg)
        {
            // Asked to, the JPEG decoder returns the same pixels and says they are partial.
            JpegDecodedPixels pixels = new JpegDecoder { ApplyExifOrientation = jpeg.ApplyExifOrientation, AllowTruncated = true }.DecodePixels(data, options);
            if (!pixels.IsTruncated)
            {
                return "with AllowTruncated the JPEG decoder did not say the image is truncated";
            }

            if (Difference(image, Image.Wrap(new PixelBuffer(pixels.Pixels, pixels.Width, pixels.Height, pixels.Stride, pixels.PixelFormat)), new Rectangle(0, 0, image.Width, image.Height)) is { } difference)
            {
                return $"with AllowTruncated the JPEG decoder returned other pixels: {difference}";
            }
        }

        return null;
    }

    /// <summary>Where two images differ inside <paramref name="region"/>, in words, or null when they agree there.</summary>
    public static string? Difference(Image expected, Image actual, Rectangle region)
    {
        if ((expected.Width, expected.Height, expected.PixelFormat) != (actual.Width, actual.Height, actual.PixelFormat))
        {
            return $"the image is {actual.Width}x{actual.Height} {actual.PixelFormat} instead of {expected.Width}x{expected.Height} {expected.PixelFormat}";
        }

        int bytesPerPixel = expected.PixelFormat.BytesPerPixel();
        for (int y = region.Top; y < region.Bottom; y++)
        {
            ReadOnlySpan<byte> a = expected.GetRowBytes(y).Slice(region.X * bytesPerPixel, region.Width * bytesPerPixel);
            ReadOnlySpan<byte> b = actual.GetRowBytes(y).Slice(region.X * bytesPerPixel, region.Width * bytesPerPixel);
            int at = a.CommonPrefixLength(b);
            if (at < a.Length)
            {
                return $"pixel ({region.X + (at / bytesPerPixel)}, {y}) differs ({a[at]} expected, {b[at]} decoded)";
            }
        }

        return null;
    }

    /// <summary>Whether the data is a JPEG whose frame is progressive (SOF2).</summary>
    public static bool IsProgressiveJpeg(byte[] data)
    {
        if (!JpegDecoder.IsJpeg(data))
        {
            return false;
        }

        // Walk the marker segments (a byte pattern search could find an EXIF thumbnail's frame header instead).
        for (int i = 2; i + 3 < data.Length && data[i] == 0xFF;)
        {
            byte marker = data[i + 1];
            if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE)
            {
                return true;
            }

            if (marker is 0xC0 or 0xC1 or 0xC3 or 0xDA)
            {
                return false;
            }

            i += 2 + ((data[i + 2] << 8) | data[i + 3]);
        }

        return false;
    }
}

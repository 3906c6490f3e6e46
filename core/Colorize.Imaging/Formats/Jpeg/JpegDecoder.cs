using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Decodes JPEG: baseline, extended and progressive Huffman-coded, 8-bit, greyscale, YCbCr, RGB, CMYK and YCCK
/// (Adobe), any chroma subsampling, restart markers, EXIF orientation applied. Pixels match libjpeg-turbo's
/// <c>djpeg</c> with default settings (islow IDCT, fancy upsampling). Arithmetic-coded, lossless, hierarchical
/// and 12-bit files are refused with an <see cref="ImageFormatException"/> saying so. A file that ends early or
/// whose data is damaged (lost restart intervals, invalid Huffman codes, missing scans) is refused with a
/// <see cref="TruncatedImageException"/> carrying what decoded, unless <see cref="AllowTruncated"/> is set.
/// Stateless and thread-safe.
/// </summary>
public sealed class JpegDecoder : IImageDecoder
{
    /// <summary>Whether to turn the image upright according to its EXIF orientation tag (default true).</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>
    /// Whether a truncated or damaged file is returned as far as it decodes, with
    /// <see cref="JpegDecodedPixels.IsTruncated"/> set (what libjpeg does), instead of refused with a
    /// <see cref="TruncatedImageException"/> (the default).
    /// </summary>
    public bool AllowTruncated { get; init; }

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Jpeg;

    /// <inheritdoc/>
    public int HeaderSize => 3;

    /// <inheritdoc/>
    public bool IsSupportedFormat(ReadOnlySpan<byte> header) => IsJpeg(header);

    /// <inheritdoc/>
    public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IdentifyPixels(data.Span, options, out int width, out int height, out int componentCount);
        return new ImageInfo(width, height, componentCount == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24, ImageFormat.Jpeg, 8);
    }

    /// <inheritdoc/>
    public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JpegDecodedPixels pixels = DecodePixels(data.Span, options);

        // The decoded array becomes the image's buffer: no copy.
        return Image.Wrap(new PixelBuffer(pixels.Pixels, pixels.Width, pixels.Height, pixels.Stride, pixels.PixelFormat));
    }

    /// <summary>Whether <paramref name="header"/> starts like a JPEG file: SOI followed by another marker (FF D8 FF).</summary>
    /// <param name="header">The first bytes of the data.</param>
    public static bool IsJpeg(ReadOnlySpan<byte> header) =>
        header.Length >= 3 && header[0] == 0xFF && header[1] == JpegConstants.Soi && header[2] == 0xFF;

    /// <summary>Decodes a JPEG file held in memory to interleaved Gray8 (one component) or Rgb24 pixels.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="options">Limits; null means <see cref="DecoderOptions.Default"/>.</param>
    /// <exception cref="ImageFormatException">The data is not a JPEG this decoder can read; the message says why.</exception>
    /// <exception cref="ImageLimitException">The image is larger than the limits allow (checked before allocating).</exception>
    /// <exception cref="TruncatedImageException">The file ends early or its data is damaged, and <see cref="AllowTruncated"/> is false.</exception>
    public JpegDecodedPixels DecodePixels(ReadOnlySpan<byte> data, DecoderOptions? options = null)
    {
        var core = new JpegDecoderCore(options ?? DecoderOptions.Default) { ApplyExifOrientation = ApplyExifOrientation };
        byte[] pixels;
        try
        {
            pixels = core.Decode(data);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            // Every read is bounds-checked on purpose; should one slip through, the caller still gets the
            // documented exception type rather than a crash.
            throw new ImageFormatException("The JPEG file is corrupt.", e);
        }

        int width = core.Width;
        int height = core.Height;
        int orientation = core.ExifOrientation;
        bool apply = core.AppliedOrientation != 1;
        if (JpegExif.SwapsDimensions(core.AppliedOrientation))
        {
            (width, height) = (height, width);
        }

        if (core.IsIncomplete && !AllowTruncated)
        {
            var image = Image.Wrap(new PixelBuffer(pixels, width, height, width * core.OutputFormat.BytesPerPixel(), core.OutputFormat));
            int rows = core.RowsDecoded;
            throw new TruncatedImageException(
                "JPEG",
                core.DataEnded,
                image,
                rows,
                core.Height,
                JpegExif.OrientRows(rows, core.Width, core.Height, core.AppliedOrientation),
                core.LacksProgressiveScans ? "at reduced quality: the file ends before its last progressive scans" : null);
        }

        return new JpegDecodedPixels(width, height, core.OutputFormat, pixels, orientation, apply, core.IsIncomplete);
    }

    /// <summary>Decodes a JPEG file read from <paramref name="stream"/> (from its current position to its end).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="options">Limits; null means <see cref="DecoderOptions.Default"/>.</param>
    /// <exception cref="ImageFormatException">The data is not a JPEG this decoder can read.</exception>
    public JpegDecodedPixels DecodePixels(Stream stream, DecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return DecodePixels(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
    }

    /// <summary>Reads the size (after orientation), component count and orientation without decoding pixels.</summary>
    /// <param name="data">The whole file (only the headers up to the first scan are read).</param>
    /// <param name="options">Limits; null means <see cref="DecoderOptions.Default"/>.</param>
    /// <param name="width">Width in pixels, as <see cref="DecodePixels(ReadOnlySpan{byte}, DecoderOptions?)"/> would return it.</param>
    /// <param name="height">Height in pixels, likewise.</param>
    /// <param name="componentCount">1 (grey), 3 or 4.</param>
    /// <exception cref="ImageFormatException">The headers are not valid JPEG.</exception>
    public void IdentifyPixels(ReadOnlySpan<byte> data, DecoderOptions? options, out int width, out int height, out int componentCount)
    {
        var core = new JpegDecoderCore(options ?? DecoderOptions.Default);
        try
        {
            core.Identify(data);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new ImageFormatException("The JPEG file is corrupt.", e);
        }

        width = core.Width;
        height = core.Height;
        componentCount = core.ComponentCount;
        if (ApplyExifOrientation && JpegExif.SwapsDimensions(core.ExifOrientation))
        {
            (width, height) = (height, width);
        }
    }
}

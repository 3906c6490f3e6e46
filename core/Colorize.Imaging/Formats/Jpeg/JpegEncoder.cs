using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>Chroma subsampling of a colour JPEG.</summary>
public enum JpegChromaSubsampling
{
    /// <summary>Chroma at half resolution both ways (4:2:0): the usual choice for photographs, smallest files.</summary>
    Ratio420,

    /// <summary>Chroma at full resolution (4:4:4): sharper colour edges, larger files.</summary>
    Ratio444,
}

/// <summary>Which components a JPEG is written with.</summary>
public enum JpegColorType
{
    /// <summary>Greyscale images as one luminance component, everything else as YCbCr.</summary>
    Auto,

    /// <summary>Always YCbCr (three components), even for grey pixels.</summary>
    YCbCr,

    /// <summary>Always one luminance component (colour pixels are converted with the BT.601 weights libjpeg uses).</summary>
    Grayscale,
}

/// <summary>
/// Writes baseline JPEG (JFIF): quality 1–100 on libjpeg's scale, 4:2:0 or 4:4:4 chroma or greyscale, standard or
/// optimised Huffman tables, optional restart markers. The entropy-coded data is identical to what libjpeg-turbo's
/// <c>cjpeg</c> writes for the same pixels and settings (islow DCT). Alpha is dropped; 16-bit images are reduced to
/// 8 bits. Settings are init-only, so a configured instance can be shared between threads.
/// </summary>
public sealed class JpegEncoder : IImageEncoder
{
    private readonly int _quality = 75;
    private readonly int _restartInterval;

    /// <summary>Quality 1 (smallest) to 100 (best), scaling the standard tables as libjpeg does; default 75, cjpeg's default.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1..100.</exception>
    public int Quality
    {
        get => _quality;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100);
            _quality = value;
        }
    }

    /// <summary>Chroma subsampling for colour output; default 4:2:0.</summary>
    public JpegChromaSubsampling ChromaSubsampling { get; init; } = JpegChromaSubsampling.Ratio420;

    /// <summary>Greyscale or YCbCr; default <see cref="JpegColorType.Auto"/>.</summary>
    public JpegColorType ColorType { get; init; } = JpegColorType.Auto;

    /// <summary>Whether to compute Huffman tables for this image (two passes, a few percent smaller) instead of using the standard ones.</summary>
    public bool OptimizeHuffmanTables { get; init; }

    /// <summary>MCUs between restart markers (0 for none, at most 65535); restarts let a damaged file resynchronise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..65535.</exception>
    public int RestartInterval
    {
        get => _restartInterval;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65535);
            _restartInterval = value;
        }
    }

    /// <summary>
    /// Threads that prepare rows of blocks at once (colour conversion, downsampling, DCT, quantisation; the entropy
    /// coding stays in order on the calling thread); 0 or negative (the default) for one per logical processor. The
    /// file is the same bits for any value.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Jpeg;

    /// <inheritdoc/>
    public void Encode(Image image, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        PixelFormat target = image.PixelFormat.IsGray() ? PixelFormat.Gray8 : PixelFormat.Rgb24;
        Image source = image.PixelFormat == target ? image : image.ConvertTo(target);
        PixelBuffer buffer = source.Buffer;
        EncodePixels(buffer.Memory.Span, buffer.Width, buffer.Height, buffer.Stride, target, stream);
    }

    /// <summary>Encodes interleaved 8-bit pixels held by the caller.</summary>
    /// <param name="pixels">Row after row, <paramref name="stride"/> bytes apart.</param>
    /// <param name="width">Width in pixels (1..65535).</param>
    /// <param name="height">Height in pixels (1..65535).</param>
    /// <param name="stride">Bytes from one row to the next (at least width × bytes per pixel).</param>
    /// <param name="format"><see cref="PixelFormat.Gray8"/> or <see cref="PixelFormat.Rgb24"/>.</param>
    /// <param name="stream">Where the file goes (written from its current position, left open).</param>
    /// <exception cref="ImageFormatException">The image is larger than JPEG's 65535 × 65535.</exception>
    /// <exception cref="ArgumentException">The format is not Gray8/Rgb24 or the buffer is too small.</exception>
    public void EncodePixels(ReadOnlySpan<byte> pixels, int width, int height, int stride, PixelFormat format, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentException($"JPEG encoding takes Gray8 or Rgb24 pixels, not {format}.", nameof(format));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width > 65535 || height > 65535)
        {
            throw new ImageFormatException($"A JPEG image can be at most 65535 x 65535 pixels; this one is {width}x{height}.");
        }

        int bytesPerPixel = format.BytesPerPixel();
        if (stride < width * bytesPerPixel || pixels.Length < ((long)stride * (height - 1)) + ((long)width * bytesPerPixel))
        {
            throw new ArgumentException("The pixel buffer is smaller than width, height and stride require.", nameof(pixels));
        }

        bool grayscale = ColorType == JpegColorType.Grayscale || (ColorType == JpegColorType.Auto && format == PixelFormat.Gray8);
        var core = new JpegEncoderCore(_quality, ChromaSubsampling == JpegChromaSubsampling.Ratio420, OptimizeHuffmanTables, _restartInterval, grayscale, MaxDegreeOfParallelism);
        core.Encode(pixels, width, height, stride, bytesPerPixel, stream);
    }
}

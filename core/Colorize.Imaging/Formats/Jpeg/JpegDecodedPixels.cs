using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// The result of <see cref="JpegDecoder.DecodePixels(ReadOnlySpan{byte}, DecoderOptions?)"/>: tightly packed
/// interleaved pixels (rows of <see cref="Width"/> × bytes-per-pixel bytes, no padding), upright when the
/// decoder applied the EXIF orientation.
/// </summary>
public sealed class JpegDecodedPixels
{
    internal JpegDecodedPixels(int width, int height, PixelFormat pixelFormat, byte[] pixels, int exifOrientation, bool orientationApplied, bool isTruncated)
    {
        Width = width;
        Height = height;
        PixelFormat = pixelFormat;
        Pixels = pixels;
        ExifOrientation = exifOrientation;
        OrientationApplied = orientationApplied;
        IsTruncated = isTruncated;
    }

    /// <summary>Width in pixels (after orientation).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (after orientation).</summary>
    public int Height { get; }

    /// <summary><see cref="PixelFormat.Gray8"/> for one-component JPEGs, otherwise <see cref="PixelFormat.Rgb24"/>.</summary>
    public PixelFormat PixelFormat { get; }

    /// <summary>The pixels, row after row, <see cref="Stride"/> bytes per row.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row: <see cref="Width"/> × 1 for Gray8, × 3 for Rgb24.</summary>
    public int Stride => Width * PixelFormat.BytesPerPixel();

    /// <summary>The EXIF orientation tag found in the file (1..8; 1 when absent).</summary>
    public int ExifOrientation { get; }

    /// <summary>Whether <see cref="ExifOrientation"/> was applied to <see cref="Pixels"/>.</summary>
    public bool OrientationApplied { get; }

    /// <summary>
    /// Whether the file ended early or its data was damaged, so part of the image is blank (grey, as libjpeg renders
    /// it), follows corrupt data, or lacks later progressive scans. Only ever true with <see cref="JpegDecoder.AllowTruncated"/>;
    /// otherwise such a file is refused with a <see cref="TruncatedImageException"/>.
    /// </summary>
    public bool IsTruncated { get; }
}

namespace Colorize.Abstractions;

/// <summary>Facts about a <see cref="PixelFormat"/>: sizes, channel count, alpha.</summary>
public static class PixelFormatInfo
{
    /// <summary>The number of bytes one pixel occupies.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is <see cref="PixelFormat.Unknown"/> or undefined.</exception>
    public static int BytesPerPixel(this PixelFormat format) => format switch
    {
        PixelFormat.Gray8 => 1,
        PixelFormat.Gray16 => 2,
        PixelFormat.Rgb24 => 3,
        PixelFormat.Rgba32 or PixelFormat.Bgra32 => 4,
        PixelFormat.Rgb48 => 6,
        PixelFormat.Rgba64 => 8,
        _ => throw Undefined(format),
    };

    /// <summary>The number of channels per pixel (1 for gray, 3 for RGB, 4 with alpha).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is <see cref="PixelFormat.Unknown"/> or undefined.</exception>
    public static int ChannelCount(this PixelFormat format) => format switch
    {
        PixelFormat.Gray8 or PixelFormat.Gray16 => 1,
        PixelFormat.Rgb24 or PixelFormat.Rgb48 => 3,
        PixelFormat.Rgba32 or PixelFormat.Bgra32 or PixelFormat.Rgba64 => 4,
        _ => throw Undefined(format),
    };

    /// <summary>The number of bytes one channel occupies: 1 or 2.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is <see cref="PixelFormat.Unknown"/> or undefined.</exception>
    public static int BytesPerChannel(this PixelFormat format) => format switch
    {
        PixelFormat.Gray8 or PixelFormat.Rgb24 or PixelFormat.Rgba32 or PixelFormat.Bgra32 => 1,
        PixelFormat.Gray16 or PixelFormat.Rgb48 or PixelFormat.Rgba64 => 2,
        _ => throw Undefined(format),
    };

    /// <summary>The number of bits per channel: 8 or 16.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is <see cref="PixelFormat.Unknown"/> or undefined.</exception>
    public static int BitsPerChannel(this PixelFormat format) => format.BytesPerChannel() * 8;

    /// <summary>Whether the format carries an alpha channel.</summary>
    public static bool HasAlpha(this PixelFormat format) =>
        format is PixelFormat.Rgba32 or PixelFormat.Bgra32 or PixelFormat.Rgba64;

    /// <summary>Whether the format is single-channel luminance.</summary>
    public static bool IsGray(this PixelFormat format) => format is PixelFormat.Gray8 or PixelFormat.Gray16;

    /// <summary>Whether <paramref name="format"/> is one of the defined formats (not <see cref="PixelFormat.Unknown"/>).</summary>
    public static bool IsDefined(this PixelFormat format) => format is >= PixelFormat.Gray8 and <= PixelFormat.Rgba64;

    private static ArgumentOutOfRangeException Undefined(PixelFormat format) =>
        new(nameof(format), format, "The pixel format is not one of the defined formats.");
}

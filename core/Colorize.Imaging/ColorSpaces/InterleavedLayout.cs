using Colorize.Abstractions;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// The memory layout of one interleaved pixel, as the colour-space fast paths read and write it.
/// </summary>
/// <remarks>
/// Rows are addressed in bytes (a row stride in bytes) for every layout. 16-bit layouts hold each channel as a
/// native-endian <see cref="ushort"/> (the in-memory form of a decoded image, not the big-endian file form),
/// so a row must start on a 2-byte boundary only for speed, not for correctness.
/// </remarks>
public enum InterleavedLayout
{
    /// <summary>One 8-bit grey channel per pixel.</summary>
    Gray8,

    /// <summary>One 16-bit grey channel per pixel.</summary>
    Gray16,

    /// <summary>8-bit red, green, blue (3 bytes per pixel).</summary>
    Rgb24,

    /// <summary>8-bit blue, green, red (3 bytes per pixel).</summary>
    Bgr24,

    /// <summary>8-bit red, green, blue, alpha (4 bytes per pixel). Alpha is never read or written by colour conversions.</summary>
    Rgba32,

    /// <summary>8-bit blue, green, red, alpha (4 bytes per pixel), the order Paint.NET and GDI use. Alpha is never read or written by colour conversions.</summary>
    Bgra32,

    /// <summary>16-bit red, green, blue (6 bytes per pixel).</summary>
    Rgb48,

    /// <summary>16-bit red, green, blue, alpha (8 bytes per pixel). Alpha is never read or written by colour conversions.</summary>
    Rgba64,
}

/// <summary>Facts about each <see cref="InterleavedLayout"/>.</summary>
public static class InterleavedLayoutInfo
{
    /// <summary>The layout of a <see cref="PixelFormat"/> (the plugin contract's pixel formats all have one).</summary>
    /// <param name="format">A defined pixel format.</param>
    /// <returns>The layout with the same bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The format is <see cref="PixelFormat.Unknown"/> or undefined.</exception>
    public static InterleavedLayout ToInterleavedLayout(this PixelFormat format) => format switch
    {
        PixelFormat.Gray8 => InterleavedLayout.Gray8,
        PixelFormat.Gray16 => InterleavedLayout.Gray16,
        PixelFormat.Rgb24 => InterleavedLayout.Rgb24,
        PixelFormat.Rgba32 => InterleavedLayout.Rgba32,
        PixelFormat.Bgra32 => InterleavedLayout.Bgra32,
        PixelFormat.Rgb48 => InterleavedLayout.Rgb48,
        PixelFormat.Rgba64 => InterleavedLayout.Rgba64,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "The pixel format is not defined."),
    };

    /// <summary>Bytes one pixel occupies.</summary>
    /// <param name="layout">The layout.</param>
    /// <returns>1, 2, 3, 4, 6 or 8.</returns>
    public static int BytesPerPixel(this InterleavedLayout layout) => layout switch
    {
        InterleavedLayout.Gray8 => 1,
        InterleavedLayout.Gray16 => 2,
        InterleavedLayout.Rgb24 or InterleavedLayout.Bgr24 => 3,
        InterleavedLayout.Rgba32 or InterleavedLayout.Bgra32 => 4,
        InterleavedLayout.Rgb48 => 6,
        InterleavedLayout.Rgba64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout."),
    };

    /// <summary>Whether each channel is 16 bits wide.</summary>
    /// <param name="layout">The layout.</param>
    /// <returns><see langword="true"/> for <see cref="InterleavedLayout.Gray16"/>, <see cref="InterleavedLayout.Rgb48"/> and <see cref="InterleavedLayout.Rgba64"/>.</returns>
    public static bool Is16Bit(this InterleavedLayout layout) =>
        layout is InterleavedLayout.Gray16 or InterleavedLayout.Rgb48 or InterleavedLayout.Rgba64;

    /// <summary>Whether the layout has a single grey channel.</summary>
    /// <param name="layout">The layout.</param>
    /// <returns><see langword="true"/> for <see cref="InterleavedLayout.Gray8"/> and <see cref="InterleavedLayout.Gray16"/>.</returns>
    public static bool IsGray(this InterleavedLayout layout) =>
        layout is InterleavedLayout.Gray8 or InterleavedLayout.Gray16;

    /// <summary>
    /// Where red, green and blue sit inside a pixel, counted in channels (not bytes). Grey layouts return (0, 0, 0).
    /// </summary>
    internal static (int R, int G, int B) ChannelOffsets(this InterleavedLayout layout) => layout switch
    {
        InterleavedLayout.Bgr24 or InterleavedLayout.Bgra32 => (2, 1, 0),
        InterleavedLayout.Gray8 or InterleavedLayout.Gray16 => (0, 0, 0),
        _ => (0, 1, 2),
    };

    /// <summary>Channels per pixel, including alpha.</summary>
    internal static int Channels(this InterleavedLayout layout) => layout switch
    {
        InterleavedLayout.Gray8 or InterleavedLayout.Gray16 => 1,
        InterleavedLayout.Rgb24 or InterleavedLayout.Bgr24 or InterleavedLayout.Rgb48 => 3,
        _ => 4,
    };
}

namespace Colorize.Abstractions;

/// <summary>
/// The memory layout of one pixel. Channels are stored in the order the name spells, one byte per channel for
/// the 8-bit formats and one native-endian <see cref="ushort"/> per channel for the 16-bit formats.
/// </summary>
/// <remarks>The numeric values are part of the plugin contract: never renumber them.</remarks>
public enum PixelFormat
{
    /// <summary>No format; the value of an uninitialised field. Never valid for a buffer.</summary>
    Unknown = 0,

    /// <summary>8-bit luminance, one byte per pixel.</summary>
    Gray8 = 1,

    /// <summary>16-bit luminance, one native-endian <see cref="ushort"/> per pixel.</summary>
    Gray16 = 2,

    /// <summary>8-bit red, green, blue; three bytes per pixel.</summary>
    Rgb24 = 3,

    /// <summary>8-bit red, green, blue, straight (not premultiplied) alpha; four bytes per pixel.</summary>
    Rgba32 = 4,

    /// <summary>8-bit blue, green, red, straight alpha; four bytes per pixel. The layout Paint.NET and GDI use.</summary>
    Bgra32 = 5,

    /// <summary>16-bit red, green, blue; three native-endian <see cref="ushort"/> values per pixel.</summary>
    Rgb48 = 6,

    /// <summary>16-bit red, green, blue, straight alpha; four native-endian <see cref="ushort"/> values per pixel.</summary>
    Rgba64 = 7,
}

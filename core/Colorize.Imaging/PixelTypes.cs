using System.Runtime.InteropServices;

namespace Colorize.Imaging;

// Pixel structs for typed row access (Image.GetRow<Rgb24>(y)). Their layouts match the PixelFormat of the same
// name byte for byte; 16-bit channels are native-endian.

/// <summary>One <see cref="Abstractions.PixelFormat.Rgb24"/> pixel.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
[StructLayout(LayoutKind.Sequential)]
public record struct Rgb24(byte R, byte G, byte B);

/// <summary>One <see cref="Abstractions.PixelFormat.Rgba32"/> pixel (straight alpha).</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
/// <param name="A">Alpha; 255 is opaque.</param>
[StructLayout(LayoutKind.Sequential)]
public record struct Rgba32(byte R, byte G, byte B, byte A);

/// <summary>One <see cref="Abstractions.PixelFormat.Bgra32"/> pixel (straight alpha), the layout of Paint.NET surfaces.</summary>
/// <param name="B">Blue.</param>
/// <param name="G">Green.</param>
/// <param name="R">Red.</param>
/// <param name="A">Alpha; 255 is opaque.</param>
[StructLayout(LayoutKind.Sequential)]
public record struct Bgra32(byte B, byte G, byte R, byte A);

/// <summary>One <see cref="Abstractions.PixelFormat.Rgb48"/> pixel.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
[StructLayout(LayoutKind.Sequential)]
public record struct Rgb48(ushort R, ushort G, ushort B);

/// <summary>One <see cref="Abstractions.PixelFormat.Rgba64"/> pixel (straight alpha).</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
/// <param name="A">Alpha; 65535 is opaque.</param>
[StructLayout(LayoutKind.Sequential)]
public record struct Rgba64(ushort R, ushort G, ushort B, ushort A);

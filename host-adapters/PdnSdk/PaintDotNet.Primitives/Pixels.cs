using System.Runtime.InteropServices;

namespace PaintDotNet.Imaging;

/// <summary>Marks a pixel type whose memory layout is one of the known pixel formats.</summary>
public interface INaturalPixelInfo
{
}

/// <summary>
/// A pixel format, identified as in WIC by a GUID. Paint.NET's layers are <see cref="PixelFormats.Bgra32"/>:
/// 8-bit blue, green, red, alpha, straight (not premultiplied) alpha.
/// </summary>
public readonly struct PixelFormat : IEquatable<PixelFormat>
{
    /// <summary>Creates a format from its GUID.</summary>
    public PixelFormat(Guid guid) => Guid = guid;

    /// <summary>The WIC GUID of the format.</summary>
    public Guid Guid { get; }

    /// <summary>Equality.</summary>
    public static bool operator ==(PixelFormat a, PixelFormat b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PixelFormat a, PixelFormat b) => !a.Equals(b);

    /// <inheritdoc/>
    public bool Equals(PixelFormat other) => Guid == other.Guid;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PixelFormat other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Guid.GetHashCode();

    /// <inheritdoc/>
    public override string ToString() => this == PixelFormats.Bgra32 ? "Bgra32" : this == PixelFormats.Pbgra32 ? "Pbgra32" : Guid.ToString();
}

/// <summary>The pixel formats the stub knows (their WIC GUIDs).</summary>
public static class PixelFormats
{
    /// <summary>32-bit BGRA, straight alpha (<see cref="ColorBgra32"/>).</summary>
    public static PixelFormat Bgra32 { get; } = new(new Guid("6fddc324-4e03-4bfe-b185-3d77768dc90f"));

    /// <summary>32-bit BGRA, premultiplied alpha (Paint.NET's <c>ColorPbgra32</c>).</summary>
    public static PixelFormat Pbgra32 { get; } = new(new Guid("6fddc324-4e03-4bfe-b185-3d77768dc910"));
}

/// <summary>A 32-bit pixel: blue, green, red, alpha in memory order, straight (not premultiplied) alpha.</summary>
[StructLayout(LayoutKind.Sequential, Size = 4)]
public struct ColorBgra32 : INaturalPixelInfo, IEquatable<ColorBgra32>
{
    private byte _b;
    private byte _g;
    private byte _r;
    private byte _a;

    /// <summary>Creates a pixel from its channels.</summary>
    public ColorBgra32(byte b, byte g, byte r, byte a)
    {
        _b = b;
        _g = g;
        _r = r;
        _a = a;
    }

    /// <summary>Creates a pixel from its packed value (blue in the low byte, alpha in the high byte).</summary>
    public ColorBgra32(uint bgra)
        : this((byte)bgra, (byte)(bgra >> 8), (byte)(bgra >> 16), (byte)(bgra >> 24))
    {
    }

    /// <summary>Blue.</summary>
    public byte B { readonly get => _b; set => _b = value; }

    /// <summary>Green.</summary>
    public byte G { readonly get => _g; set => _g = value; }

    /// <summary>Red.</summary>
    public byte R { readonly get => _r; set => _r = value; }

    /// <summary>Alpha (0 transparent, 255 opaque).</summary>
    public byte A { readonly get => _a; set => _a = value; }

    /// <summary>The packed value: blue in the low byte, alpha in the high byte.</summary>
    public uint Bgra
    {
        readonly get => _b | ((uint)_g << 8) | ((uint)_r << 16) | ((uint)_a << 24);
        set => this = new ColorBgra32(value);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(ColorBgra32 a, ColorBgra32 b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ColorBgra32 a, ColorBgra32 b) => !a.Equals(b);

    /// <summary>Creates a pixel from its channels.</summary>
    public static ColorBgra32 FromBgra(byte b, byte g, byte r, byte a) => new(b, g, r, a);

    /// <summary>Creates a pixel from its packed value.</summary>
    public static ColorBgra32 FromUInt32(uint bgra) => new(bgra);

    /// <inheritdoc/>
    public readonly bool Equals(ColorBgra32 other) => Bgra == other.Bgra;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is ColorBgra32 other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => (int)Bgra;

    /// <inheritdoc/>
    public override readonly string ToString() => FormattableString.Invariant($"B={_b}, G={_g}, R={_r}, A={_a}");
}

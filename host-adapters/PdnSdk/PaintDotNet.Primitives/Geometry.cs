namespace PaintDotNet.Rendering;

/// <summary>A width and a height in whole pixels (Paint.NET's <c>SizeInt32</c>).</summary>
public struct SizeInt32 : IEquatable<SizeInt32>
{
    /// <summary>Creates a size.</summary>
    public SizeInt32(int width, int height)
    {
        Width = width;
        Height = height;
    }

    /// <summary>The width.</summary>
    public int Width { readonly get; set; }

    /// <summary>The height.</summary>
    public int Height { readonly get; set; }

    /// <summary>Whether width or height is zero.</summary>
    public readonly bool IsEmpty => Width == 0 || Height == 0;

    /// <summary>Equality.</summary>
    public static bool operator ==(SizeInt32 a, SizeInt32 b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(SizeInt32 a, SizeInt32 b) => !a.Equals(b);

    /// <inheritdoc/>
    public readonly bool Equals(SizeInt32 other) => Width == other.Width && Height == other.Height;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is SizeInt32 other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(Width, Height);

    /// <inheritdoc/>
    public override readonly string ToString() => FormattableString.Invariant($"{Width}x{Height}");
}

/// <summary>A point in whole pixels (Paint.NET's <c>Point2Int32</c>).</summary>
public struct Point2Int32 : IEquatable<Point2Int32>
{
    /// <summary>Creates a point.</summary>
    public Point2Int32(int x, int y)
    {
        X = x;
        Y = y;
    }

    /// <summary>The x coordinate.</summary>
    public int X { readonly get; set; }

    /// <summary>The y coordinate.</summary>
    public int Y { readonly get; set; }

    /// <summary>Equality.</summary>
    public static bool operator ==(Point2Int32 a, Point2Int32 b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Point2Int32 a, Point2Int32 b) => !a.Equals(b);

    /// <inheritdoc/>
    public readonly bool Equals(Point2Int32 other) => X == other.X && Y == other.Y;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is Point2Int32 other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(X, Y);

    /// <inheritdoc/>
    public override readonly string ToString() => FormattableString.Invariant($"({X}, {Y})");
}

/// <summary>An axis-aligned rectangle in whole pixels; <see cref="Right"/> and <see cref="Bottom"/> are exclusive.</summary>
public struct RectInt32 : IEquatable<RectInt32>
{
    /// <summary>Creates a rectangle from its top-left corner and size.</summary>
    public RectInt32(int x, int y, int width, int height)
    {
        X = x;
        Y = y;
        Width = width;
        Height = height;
    }

    /// <summary>Creates a rectangle from its top-left corner and size.</summary>
    public RectInt32(Point2Int32 location, SizeInt32 size)
        : this(location.X, location.Y, size.Width, size.Height)
    {
    }

    /// <summary>Creates a rectangle from its top-left corner and size.</summary>
    public RectInt32(int x, int y, SizeInt32 size)
        : this(x, y, size.Width, size.Height)
    {
    }

    /// <summary>The empty rectangle at the origin.</summary>
    public static RectInt32 Zero => default;

    /// <summary>The left edge.</summary>
    public int X { readonly get; set; }

    /// <summary>The top edge.</summary>
    public int Y { readonly get; set; }

    /// <summary>The width.</summary>
    public int Width { readonly get; set; }

    /// <summary>The height.</summary>
    public int Height { readonly get; set; }

    /// <summary>The left edge.</summary>
    public readonly int Left => X;

    /// <summary>The top edge.</summary>
    public readonly int Top => Y;

    /// <summary>One past the right edge.</summary>
    public readonly int Right => X + Width;

    /// <summary>One past the bottom edge.</summary>
    public readonly int Bottom => Y + Height;

    /// <summary>The top-left corner.</summary>
    public Point2Int32 Location
    {
        readonly get => new(X, Y);
        set
        {
            X = value.X;
            Y = value.Y;
        }
    }

    /// <summary>The size.</summary>
    public SizeInt32 Size
    {
        readonly get => new(Width, Height);
        set
        {
            Width = value.Width;
            Height = value.Height;
        }
    }

    /// <summary>Whether the rectangle covers no pixel.</summary>
    public readonly bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>Whether the rectangle covers at least one pixel.</summary>
    public readonly bool HasArea => !IsEmpty;

    /// <summary>The number of pixels covered.</summary>
    public readonly long Area => IsEmpty ? 0 : (long)Width * Height;

    /// <summary>Equality.</summary>
    public static bool operator ==(RectInt32 a, RectInt32 b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(RectInt32 a, RectInt32 b) => !a.Equals(b);

    /// <summary>The overlap of two rectangles, or <see cref="Zero"/> when they do not overlap.</summary>
    public static RectInt32 Intersect(RectInt32 a, RectInt32 b)
    {
        int left = Math.Max(a.Left, b.Left);
        int top = Math.Max(a.Top, b.Top);
        int right = Math.Min(a.Right, b.Right);
        int bottom = Math.Min(a.Bottom, b.Bottom);
        return right > left && bottom > top ? new RectInt32(left, top, right - left, bottom - top) : Zero;
    }

    /// <summary>The smallest rectangle holding both.</summary>
    public static RectInt32 Union(RectInt32 a, RectInt32 b)
    {
        if (a.IsEmpty)
        {
            return b;
        }

        if (b.IsEmpty)
        {
            return a;
        }

        int left = Math.Min(a.Left, b.Left);
        int top = Math.Min(a.Top, b.Top);
        return new RectInt32(left, top, Math.Max(a.Right, b.Right) - left, Math.Max(a.Bottom, b.Bottom) - top);
    }

    /// <summary>Whether the pixel (x, y) is inside.</summary>
    public readonly bool Contains(int x, int y) => x >= Left && x < Right && y >= Top && y < Bottom;

    /// <summary>Whether <paramref name="rect"/> lies wholly inside.</summary>
    public readonly bool Contains(RectInt32 rect) => rect.Left >= Left && rect.Top >= Top && rect.Right <= Right && rect.Bottom <= Bottom;

    /// <summary>Whether the two rectangles share at least one pixel.</summary>
    public readonly bool IntersectsWith(RectInt32 rect) => Intersect(this, rect).HasArea;

    /// <inheritdoc/>
    public readonly bool Equals(RectInt32 other) => X == other.X && Y == other.Y && Width == other.Width && Height == other.Height;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is RectInt32 other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(X, Y, Width, Height);

    /// <inheritdoc/>
    public override readonly string ToString() => FormattableString.Invariant($"{X}, {Y}, {Width}, {Height}");
}

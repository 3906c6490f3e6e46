namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>Reads the EXIF orientation tag and applies it to decoded pixels.</summary>
internal static class JpegExif
{
    private const int OrientationTag = 0x0112;

    /// <summary>
    /// Reads tag 0x0112 (Orientation) from IFD0 of an APP1 "Exif" payload, in either byte order. Every offset is
    /// bounds-checked: a corrupt EXIF block is ignored, never an error (the pixels are still fine).
    /// </summary>
    /// <param name="segment">The APP1 payload, starting with "Exif\0\0".</param>
    /// <param name="orientation">1..8 when found.</param>
    public static bool TryReadOrientation(ReadOnlySpan<byte> segment, out int orientation)
    {
        orientation = 1;
        if (segment.Length < 6 + 8 || !segment.StartsWith("Exif\0\0"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> tiff = segment[6..];
        bool littleEndian;
        if (tiff[0] == 'I' && tiff[1] == 'I')
        {
            littleEndian = true;
        }
        else if (tiff[0] == 'M' && tiff[1] == 'M')
        {
            littleEndian = false;
        }
        else
        {
            return false;
        }

        if (Read16(tiff, 2, littleEndian) != 42)
        {
            return false;
        }

        long ifd = Read32(tiff, 4, littleEndian);
        if (ifd < 8 || ifd + 2 > tiff.Length)
        {
            return false;
        }

        int count = Read16(tiff, (int)ifd, littleEndian);
        for (int i = 0; i < count; i++)
        {
            int entry = (int)ifd + 2 + (12 * i);
            if (entry + 12 > tiff.Length)
            {
                return false;
            }

            if (Read16(tiff, entry, littleEndian) != OrientationTag)
            {
                continue;
            }

            int type = Read16(tiff, entry + 2, littleEndian);
            long value = type switch
            {
                3 => Read16(tiff, entry + 8, littleEndian), // SHORT, the type the standard prescribes
                4 => Read32(tiff, entry + 8, littleEndian), // LONG, written by a few tools
                _ => 0,
            };
            if (value is >= 1 and <= 8)
            {
                orientation = (int)value;
                return true;
            }

            return false;
        }

        return false;
    }

    private static int Read16(ReadOnlySpan<byte> data, int offset, bool littleEndian) => littleEndian
        ? data[offset] | (data[offset + 1] << 8)
        : (data[offset] << 8) | data[offset + 1];

    private static long Read32(ReadOnlySpan<byte> data, int offset, bool littleEndian) => littleEndian
        ? (uint)(data[offset] | (data[offset + 1] << 8) | (data[offset + 2] << 16) | (data[offset + 3] << 24))
        : (uint)((data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]);

    /// <summary>Whether an orientation swaps width and height (the transposing ones, 5..8).</summary>
    public static bool SwapsDimensions(int orientation) => orientation is >= 5 and <= 8;

    /// <summary>
    /// Turns pixels stored as the camera saw them into the upright image EXIF orientation
    /// <paramref name="orientation"/> describes: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90°
    /// clockwise, 7 transverse, 8 rotate 90° counter-clockwise. Returns <paramref name="pixels"/> itself for 1..4
    /// (done in place) and a new buffer for 5..8.
    /// </summary>
    public static byte[] Apply(byte[] pixels, int width, int height, int bytesPerPixel, int orientation)
    {
        int stride = width * bytesPerPixel;
        switch (orientation)
        {
            case 2:
                for (int y = 0; y < height; y++)
                {
                    ReverseRow(pixels.AsSpan(y * stride, stride), bytesPerPixel);
                }

                return pixels;
            case 3:
                ReverseRow(pixels.AsSpan(0, stride * height), bytesPerPixel);
                return pixels;
            case 4:
            {
                byte[] swap = new byte[stride];
                for (int top = 0, bottom = height - 1; top < bottom; top++, bottom--)
                {
                    Span<byte> a = pixels.AsSpan(top * stride, stride);
                    Span<byte> b = pixels.AsSpan(bottom * stride, stride);
                    a.CopyTo(swap);
                    b.CopyTo(a);
                    swap.CopyTo(b);
                }

                return pixels;
            }

            case >= 5 and <= 8:
                return Transpose(pixels, width, height, bytesPerPixel, orientation);
            default:
                return pixels;
        }
    }

    /// <summary>Reverses the order of the pixels (not the bytes within a pixel) of <paramref name="row"/>.</summary>
    private static void ReverseRow(Span<byte> row, int bytesPerPixel)
    {
        if (bytesPerPixel == 1)
        {
            row.Reverse();
            return;
        }

        int count = row.Length / bytesPerPixel;
        for (int left = 0, right = count - 1; left < right; left++, right--)
        {
            Span<byte> a = row.Slice(left * bytesPerPixel, bytesPerPixel);
            Span<byte> b = row.Slice(right * bytesPerPixel, bytesPerPixel);
            for (int c = 0; c < bytesPerPixel; c++)
            {
                (a[c], b[c]) = (b[c], a[c]);
            }
        }
    }

    /// <summary>The orientations that swap the axes, in cache-friendly 64×64 tiles.</summary>
    private static byte[] Transpose(byte[] source, int width, int height, int bytesPerPixel, int orientation)
    {
        // Destination is height wide and width high. For destination (X, Y) the source pixel is:
        //   5 transpose:  (Y, X)             6 rotate 90° cw:  (Y, H-1-X)
        //   7 transverse: (W-1-Y, H-1-X)     8 rotate 90° ccw: (W-1-Y, X)
        int destinationWidth = height;
        int destinationHeight = width;
        byte[] destination = GC.AllocateUninitializedArray<byte>(source.Length);
        bool flipSourceX = orientation is 7 or 8;
        bool flipSourceY = orientation is 6 or 7;
        const int Tile = 64;
        for (int tileY = 0; tileY < destinationHeight; tileY += Tile)
        {
            int endY = Math.Min(tileY + Tile, destinationHeight);
            for (int tileX = 0; tileX < destinationWidth; tileX += Tile)
            {
                int endX = Math.Min(tileX + Tile, destinationWidth);
                for (int y = tileY; y < endY; y++)
                {
                    int sourceX = flipSourceX ? width - 1 - y : y;
                    int destinationRow = y * destinationWidth;
                    for (int x = tileX; x < endX; x++)
                    {
                        int sourceY = flipSourceY ? height - 1 - x : x;
                        int from = ((sourceY * width) + sourceX) * bytesPerPixel;
                        int to = (destinationRow + x) * bytesPerPixel;
                        for (int c = 0; c < bytesPerPixel; c++)
                        {
                            destination[to + c] = source[from + c];
                        }
                    }
                }
            }
        }

        return destination;
    }
}

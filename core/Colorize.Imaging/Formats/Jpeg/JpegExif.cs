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

    /// <summary>
    /// Where the first <paramref name="rows"/> stored rows of a <paramref name="width"/> × <paramref name="height"/>
    /// image end up once it is turned by <paramref name="orientation"/> (the mapping of <see cref="CopyBandOriented"/>):
    /// a band of rows at the top or bottom, or of columns at the left or right.
    /// </summary>
    public static System.Drawing.Rectangle OrientRows(int rows, int width, int height, int orientation) => orientation switch
    {
        3 or 4 => new(0, height - rows, width, rows),
        5 or 8 => new(0, 0, rows, width),
        6 or 7 => new(height - rows, 0, rows, width),
        _ => new(0, 0, width, rows),
    };

    /// <summary>Whether an orientation swaps width and height (the transposing ones, 5..8).</summary>
    public static bool SwapsDimensions(int orientation) => orientation is >= 5 and <= 8;

    /// <summary>
    /// Copies a band of decoded rows (stored orientation) into <paramref name="destination"/>, the upright image
    /// for EXIF orientation <paramref name="orientation"/>: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose,
    /// 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise (the mapping of PIL's exif_transpose).
    /// </summary>
    /// <param name="band">Rows <paramref name="firstRow"/>.. of the stored image, packed.</param>
    /// <param name="firstRow">The stored row the band starts at.</param>
    /// <param name="rows">Rows in the band.</param>
    /// <param name="width">Stored width.</param>
    /// <param name="height">Stored height.</param>
    /// <param name="bytesPerPixel">1 or 3.</param>
    /// <param name="orientation">2..8.</param>
    /// <param name="destination">The upright image: width × height for 2..4, height × width for 5..8.</param>
    public static void CopyBandOriented(ReadOnlySpan<byte> band, int firstRow, int rows, int width, int height, int bytesPerPixel, int orientation, Span<byte> destination)
    {
        int stride = width * bytesPerPixel;
        if (orientation <= 4)
        {
            bool mirror = orientation is 2 or 3;
            bool flip = orientation is 3 or 4;
            for (int r = 0; r < rows; r++)
            {
                int y = firstRow + r;
                ReadOnlySpan<byte> source = band.Slice(r * stride, stride);
                Span<byte> target = destination.Slice((flip ? height - 1 - y : y) * stride, stride);
                if (!mirror)
                {
                    source.CopyTo(target);
                    continue;
                }

                for (int x = 0; x < width; x++)
                {
                    source.Slice(x * bytesPerPixel, bytesPerPixel).CopyTo(target.Slice((width - 1 - x) * bytesPerPixel, bytesPerPixel));
                }
            }

            return;
        }

        // Transposing orientations: stored column x becomes upright row x (5, 6) or width-1-x (7, 8); stored
        // row y becomes upright column y (5, 8) or height-1-y (6, 7). Walking x outermost keeps the writes of
        // one band contiguous within each upright row.
        int uprightStride = height * bytesPerPixel;
        bool reverseRows = orientation is 7 or 8;
        bool reverseColumns = orientation is 6 or 7;
        for (int x = 0; x < width; x++)
        {
            Span<byte> target = destination.Slice((reverseRows ? width - 1 - x : x) * uprightStride, uprightStride);
            for (int r = 0; r < rows; r++)
            {
                int y = firstRow + r;
                int column = reverseColumns ? height - 1 - y : y;
                band.Slice((r * stride) + (x * bytesPerPixel), bytesPerPixel).CopyTo(target.Slice(column * bytesPerPixel, bytesPerPixel));
            }
        }
    }
}

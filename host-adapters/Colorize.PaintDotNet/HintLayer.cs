using Colorize.Abstractions;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.Rendering;

namespace Colorize.PaintDotNet;

/// <summary>
/// Reads colour hints from a layer the user painted on (issue 16 §5): dots or strokes of the colours things should
/// have, on an otherwise transparent layer. A pixel counts when its alpha is at least <see cref="MinAlpha"/> (half
/// opaque: the soft, antialiased edge of a brush stroke is left out). The painted pixels are grouped by a grid of
/// <see cref="CellSize"/>-pixel cells and, inside a cell, into connected pieces of one colour (each channel within
/// <see cref="ColorTolerance"/> of where the piece started), so a dot becomes one hint and a stroke a chain of hints
/// along its length, never one hint in the middle of a curve that lies off the stroke. Each piece is one hint: at its
/// pixels' mean position, in their mean colour, with a radius half a pixel past its farthest pixel's centre (so the hint
/// covers what was painted; with small cells it spills little beyond it). When that gives more than
/// <see cref="ColorizeOptions.MaxHints"/> hints, the cells and the colour tolerance are doubled until it does not; a
/// layer that is still too speckled when one cell covers it all gives its <see cref="ColorizeOptions.MaxHints"/> largest pieces.
/// </summary>
internal static class HintLayer
{
    /// <summary>The least alpha a painted pixel needs to be a hint.</summary>
    public const byte MinAlpha = 128;

    /// <summary>The side of the grid's cells at first, in pixels.</summary>
    public const int CellSize = 8;

    /// <summary>How far a channel may be from a piece's first pixel and still belong to it (brush antialiasing, JPEG-ish noise).</summary>
    public const int ColorTolerance = 32;

    /// <summary>The hints painted on <paramref name="layer"/>; none when nothing on it is opaque enough.</summary>
    public static IReadOnlyList<ColorHint> Read(IEffectLayerInfo layer, SizeInt32 size, CancellationToken cancellationToken)
    {
        using var bitmap = layer.GetBitmap(PixelFormats.Bgra32);
        List<(ColorHint Hint, int Pixels)> pieces;
        int cell = CellSize, tolerance = ColorTolerance;
        while (true)
        {
            pieces = Group(bitmap, size, cell, tolerance, cancellationToken);
            if (pieces.Count <= ColorizeOptions.MaxHints || cell >= Math.Max(size.Width, size.Height))
            {
                break;
            }

            (cell, tolerance) = (cell * 2, Math.Min(255, tolerance * 2));
        }

        // Ordered by size, largest first, then by position: a stable choice when some must be left out.
        return [.. pieces.Select((p, i) => (p, i)).OrderByDescending(p => p.p.Pixels).ThenBy(p => p.i).Take(ColorizeOptions.MaxHints).OrderBy(p => p.i).Select(p => p.p.Hint)];
    }

    /// <summary>Groups the painted pixels with cells of <paramref name="cell"/> pixels, a band of one row of cells at a time.</summary>
    private static unsafe List<(ColorHint Hint, int Pixels)> Group(IBitmapSource bitmap, SizeInt32 size, int cell, int tolerance, CancellationToken cancellationToken)
    {
        var hints = new List<(ColorHint, int)>();
        int width = size.Width;

        // One band of cells at a time: the layer is never copied whole (it is as large as the photo).
        var band = new ColorBgra32[width * Math.Min(cell, size.Height)];
        var seen = new bool[band.Length];
        var stack = new Stack<int>();
        var piece = new List<int>();
        for (int top = 0; top < size.Height; top += cell)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(cell, size.Height - top);
            fixed (ColorBgra32* pixels = band)
            {
                bitmap.CopyPixels(pixels, width * 4, (uint)(rows * width * 4), new RectInt32(0, top, width, rows));
            }

            Array.Clear(seen);
            for (int i = 0; i < rows * width; i++)
            {
                if (seen[i] || band[i].A < MinAlpha)
                {
                    continue;
                }

                // A flood fill from this pixel, inside its cell, through pixels of about its colour.
                var seed = band[i];
                int cellLeft = i % width / cell * cell, cellRight = Math.Min(cellLeft + cell, width);
                double sumX = 0, sumY = 0, sumR = 0, sumG = 0, sumB = 0;
                int count = 0;
                piece.Clear();
                seen[i] = true;
                stack.Push(i);
                while (stack.TryPop(out int p))
                {
                    int x = p % width, y = p / width;
                    var c = band[p];
                    piece.Add(p);
                    (sumX, sumY, count) = (sumX + x + 0.5, sumY + top + y + 0.5, count + 1);
                    (sumR, sumG, sumB) = (sumR + c.R, sumG + c.G, sumB + c.B);
                    Visit(x - 1, y);
                    Visit(x + 1, y);
                    Visit(x, y - 1);
                    Visit(x, y + 1);

                    void Visit(int nx, int ny)
                    {
                        int n = (ny * width) + nx;
                        if (nx >= cellLeft && nx < cellRight && ny >= 0 && ny < rows && !seen[n] && band[n].A >= MinAlpha && Near(band[n], seed, tolerance))
                        {
                            seen[n] = true;
                            stack.Push(n);
                        }
                    }
                }

                double cx = sumX / count, cy = sumY / count, reach = 0;
                foreach (int p in piece)
                {
                    double dx = (p % width) + 0.5 - cx, dy = top + (p / width) + 0.5 - cy;
                    reach = Math.Max(reach, (dx * dx) + (dy * dy));
                }

                hints.Add((new ColorHint(cx, cy, Mean(sumR, count), Mean(sumG, count), Mean(sumB, count), Math.Sqrt(reach) + 0.5), count));
            }
        }

        return hints;
    }

    private static bool Near(ColorBgra32 a, ColorBgra32 b, int tolerance) =>
        Math.Abs(a.R - b.R) <= tolerance && Math.Abs(a.G - b.G) <= tolerance && Math.Abs(a.B - b.B) <= tolerance;

    private static byte Mean(double sum, int count) => (byte)Math.Round(sum / count);
}

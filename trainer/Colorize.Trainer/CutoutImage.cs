using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer;

/// <summary>
/// A photographic cut-out (an object on a transparent background) held as premultiplied sRGB: four floats a pixel,
/// r·α, g·α, b·α and α, all in 0..1, row by row.
/// </summary>
/// <remarks>
/// Premultiplied because every resampling and blend below mixes neighbouring pixels: with straight alpha the colour
/// of the transparent pixels around the object (often black in the stamp files) would bleed into its edge as a dark
/// fringe; premultiplied, a transparent pixel contributes nothing whatever colour it stores.
/// </remarks>
internal sealed class CutoutImage
{
    public CutoutImage(string path, int width, int height, float[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.Length, 4 * width * height);
        Path = path;
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Where it came from (the list's path), for messages.</summary>
    public string Path { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Premultiplied r, g, b and α per pixel (0..1).</summary>
    public float[] Pixels { get; }

    /// <summary>
    /// The image as a cut-out, cropped to the bounding box of its non-transparent pixels (so that a paste's scale is
    /// the object's, not its file's margins). Null when the image has no transparent pixel or no visible one: those
    /// are not cut-outs.
    /// </summary>
    public static CutoutImage? FromImage(Image image, string path)
    {
        if (image.PixelFormat != PixelFormat.Rgba32)
        {
            image = image.ConvertTo(PixelFormat.Rgba32);
        }

        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        bool anyTransparent = false;
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < image.Width; x++)
            {
                byte alpha = row[4 * x + 3];
                anyTransparent |= alpha < 255;
                if (alpha > 0)
                {
                    x0 = Math.Min(x0, x);
                    x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y);
                    y1 = Math.Max(y1, y);
                }
            }
        }

        if (!anyTransparent || x1 < 0)
        {
            return null;
        }

        int w = x1 - x0 + 1, h = y1 - y0 + 1;
        var pixels = new float[4 * w * h];
        for (int y = 0; y < h; y++)
        {
            var row = image.GetRowBytes(y0 + y);
            for (int x = 0; x < w; x++)
            {
                int s = 4 * (x0 + x), d = 4 * (y * w + x);
                float alpha = row[s + 3] / 255f;
                pixels[d] = row[s] / 255f * alpha;
                pixels[d + 1] = row[s + 1] / 255f * alpha;
                pixels[d + 2] = row[s + 2] / 255f * alpha;
                pixels[d + 3] = alpha;
            }
        }

        return new CutoutImage(path, w, h, pixels);
    }

    /// <summary>
    /// Resampled to <paramref name="width"/>×<paramref name="height"/> with a triangle (bilinear) filter that is
    /// widened by the shrink factor when shrinking (Pillow's antialiased bilinear), so a large stamp pasted small is
    /// averaged rather than aliased; separable, on the premultiplied values.
    /// </summary>
    public CutoutImage Resize(int width, int height)
    {
        if (width == Width && height == Height)
        {
            return this;
        }

        var (xStart, xWeights) = AxisWeights(Width, width);
        var (yStart, yWeights) = AxisWeights(Height, height);
        // Horizontal pass: Height rows of the new width.
        var wide = new float[4 * width * Height];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var taps = xWeights[x];
                int d = 4 * (y * width + x);
                for (int t = 0; t < taps.Length; t++)
                {
                    int s = 4 * (y * Width + xStart[x] + t);
                    for (int c = 0; c < 4; c++)
                    {
                        wide[d + c] += taps[t] * Pixels[s + c];
                    }
                }
            }
        }

        var result = new float[4 * width * height];
        for (int y = 0; y < height; y++)
        {
            var taps = yWeights[y];
            for (int x = 0; x < width; x++)
            {
                int d = 4 * (y * width + x);
                for (int t = 0; t < taps.Length; t++)
                {
                    int s = 4 * ((yStart[y] + t) * width + x);
                    for (int c = 0; c < 4; c++)
                    {
                        result[d + c] += taps[t] * wide[s + c];
                    }
                }
            }
        }

        // Weights sum to 1, so colour never exceeds α; the clamp only removes rounding.
        for (int i = 0; i < result.Length; i += 4)
        {
            result[i + 3] = Math.Clamp(result[i + 3], 0f, 1f);
            for (int c = 0; c < 3; c++)
            {
                result[i + c] = Math.Clamp(result[i + c], 0f, result[i + 3]);
            }
        }

        return new CutoutImage(Path, width, height, result);
    }

    /// <summary>For each output index the first input index and the normalised weights of the inputs from there.</summary>
    private static (int[] Start, float[][] Weights) AxisWeights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double support = Math.Max(1, scale);
        var start = new int[outSize];
        var weights = new float[outSize][];
        for (int o = 0; o < outSize; o++)
        {
            double centre = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(centre - support));
            int hi = Math.Min(inSize, (int)Math.Ceiling(centre + support));
            var w = new double[hi - lo];
            double sum = 0;
            for (int i = lo; i < hi; i++)
            {
                w[i - lo] = Math.Max(0, 1 - Math.Abs((i + 0.5 - centre) / support));
                sum += w[i - lo];
            }

            // sum > 0: the input pixel holding the centre is within half a pixel of it, so its weight is at least ½.
            start[o] = lo;
            weights[o] = [.. w.Select(v => (float)(v / sum))];
        }

        return (start, weights);
    }

    /// <summary>
    /// Alpha-composites this cut-out over one training sample (L/50 − 1 in <paramref name="l"/>, a/110 then b/110 in
    /// <paramref name="ab"/>, <paramref name="size"/>² pixels each) with its top-left corner at
    /// (<paramref name="left"/>, <paramref name="top"/>), mirrored when <paramref name="flip"/>; the cut-out must lie
    /// inside the sample.
    /// </summary>
    /// <remarks>
    /// The blend is the ordinary "over" in companded sRGB, as a photo editor pastes a layer: the sample's pixel is
    /// turned back into sRGB, mixed, and the mix converted to Lab, so the pasted object's L and ab come from one colour
    /// (blending L and ab separately would not be the colour of any pasted photo). Pixels with α = 0 are not touched at
    /// all; α = 1 gives exactly the cut-out's own Lab.
    /// </remarks>
    public void CompositeOnto(Span<float> l, Span<float> ab, int size, int left, int top, bool flip)
    {
        if (left < 0 || top < 0 || left + Width > size || top + Height > size)
        {
            throw new ArgumentOutOfRangeException(nameof(left), $"a {Width}x{Height} cut-out at ({left}, {top}) does not fit a {size}-px sample");
        }

        int m = size * size;
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int k = 4 * (y * Width + (flip ? Width - 1 - x : x));
                float alpha = Pixels[k + 3];
                if (alpha <= 0)
                {
                    continue;
                }

                int o = (top + y) * size + left + x;
                double r = Pixels[k], g = Pixels[k + 1], b = Pixels[k + 2];
                if (alpha < 1)
                {
                    var (br, bg, bb) = CieLab.ToSrgb((l[o] + 1) * 50.0, ab[o] * 110.0, ab[m + o] * 110.0);
                    r += (1 - alpha) * br;
                    g += (1 - alpha) * bg;
                    b += (1 - alpha) * bb;
                }

                var (lOut, aOut, bOut) = CieLab.FromSrgb(Math.Clamp(r, 0, 1), Math.Clamp(g, 0, 1), Math.Clamp(b, 0, 1));
                l[o] = (float)(lOut / 50 - 1);
                ab[o] = (float)(aOut / 110);
                ab[m + o] = (float)(bOut / 110);
            }
        }
    }
}

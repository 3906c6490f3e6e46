using System.Globalization;
using Colorize.Abstractions;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Engine.Pipeline;

/// <summary>
/// Colour hints rasterised into a hint network's extra input planes at the render size: a/110, b/110 and a mask
/// (1 where hinted, 0 elsewhere), each <see cref="RenderGeometry.PaddedWidth"/> × <see cref="RenderGeometry.PaddedHeight"/>.
/// </summary>
/// <remarks>
/// A hint is a disc in source pixels. It is mapped to the render size with the resize's own geometry (the render image
/// spans the source exactly, <c>Width/width</c> render pixels per source pixel across and <c>Height/height</c> down),
/// so a render pixel is hinted when its centre, mapped back to source pixels, lies within the disc; the render pixel
/// containing the hint's centre is always hinted, so a hint smaller than a render pixel still reaches the network.
/// The padding beyond the scaled image is never hinted (it is cropped off the prediction). Hints are drawn in order,
/// so where two overlap the later one wins. The colour is converted sRGB → Lab by the imaging library's conversion
/// (<see cref="CieLab.FromSrgb(double, double, double)"/>, skimage's formulas), and only its a and b are used.
/// </remarks>
public static class HintPlanes
{
    /// <summary>The planes' order after L in a hint network's input.</summary>
    public const int A = 0, B = 1, Mask = 2;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first hint whose centre is outside a
    /// <paramref name="width"/> × <paramref name="height"/> image.
    /// </summary>
    public static void Validate(IReadOnlyList<ColorHint>? hints, int width, int height)
    {
        if (hints is null)
        {
            return;
        }

        for (int i = 0; i < hints.Count; i++)
        {
            var h = hints[i];
            h.Validate();
            if (h.X >= width || h.Y >= height)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(hints),
                    string.Create(CultureInfo.InvariantCulture, $"Hint {i + 1} at ({h.X}, {h.Y}) is outside the {width}×{height} image."));
            }
        }
    }

    /// <summary>
    /// The three planes for <paramref name="hints"/> on a <paramref name="width"/> × <paramref name="height"/> source
    /// run at <paramref name="geometry"/>: a/110, b/110 and mask, one after the other, padded size, row-major.
    /// </summary>
    /// <param name="hints">The hints, in source pixels.</param>
    /// <param name="width">The source's width.</param>
    /// <param name="height">The source's height.</param>
    /// <param name="geometry">The render geometry.</param>
    /// <param name="chromaGain">The pack's <c>input.chromaGain</c>: the hint's a and b are divided by it. The gain maps
    /// the network's (shrunk-towards-grey) colours to real ones after the network; a hint is a real colour, so it
    /// enters in the network's own terms and comes out of the gain as the colour the user picked.</param>
    public static float[] Rasterise(IReadOnlyList<ColorHint>? hints, int width, int height, RenderGeometry geometry, double chromaGain = 1)
    {
        if (!(chromaGain > 0 && double.IsFinite(chromaGain)))
        {
            throw new ArgumentOutOfRangeException(nameof(chromaGain), chromaGain, "The chroma gain must be a positive number.");
        }

        Validate(hints, width, height);
        int pw = geometry.PaddedWidth, plane = pw * geometry.PaddedHeight;
        var planes = new float[3 * plane];
        if (hints is null)
        {
            return planes;
        }

        // Render pixels per source pixel, as the resize maps the whole source onto the whole scaled image.
        double sx = geometry.Width / (double)width, sy = geometry.Height / (double)height;
        foreach (var hint in hints)
        {
            var (_, labA, labB) = CieLab.FromSrgb(hint.Red / 255.0, hint.Green / 255.0, hint.Blue / 255.0);
            float a = (float)(labA / chromaGain / ColorizationPipeline.AbScale), b = (float)(labB / chromaGain / ColorizationPipeline.AbScale);
            double cx = hint.X * sx, cy = hint.Y * sy, r2 = hint.Radius * hint.Radius;

            // The disc's bounding box in render pixels (centres within radius·scale of the centre), clipped to the image.
            int x0 = Math.Max(0, (int)Math.Floor(cx - (hint.Radius * sx) - 0.5));
            int x1 = Math.Min(geometry.Width - 1, (int)Math.Ceiling(cx + (hint.Radius * sx)));
            int y0 = Math.Max(0, (int)Math.Floor(cy - (hint.Radius * sy) - 0.5));
            int y1 = Math.Min(geometry.Height - 1, (int)Math.Ceiling(cy + (hint.Radius * sy)));
            for (int y = y0; y <= y1; y++)
            {
                double dy = ((y + 0.5) / sy) - hint.Y;
                for (int x = x0; x <= x1; x++)
                {
                    double dx = ((x + 0.5) / sx) - hint.X;
                    if ((dx * dx) + (dy * dy) <= r2)
                    {
                        Set(planes, (y * pw) + x, plane, a, b);
                    }
                }
            }

            // The render pixel holding the centre, however small the disc is at the render size.
            int centreX = Math.Min(geometry.Width - 1, (int)Math.Floor(cx));
            int centreY = Math.Min(geometry.Height - 1, (int)Math.Floor(cy));
            Set(planes, (centreY * pw) + centreX, plane, a, b);
        }

        return planes;
    }

    private static void Set(float[] planes, int index, int plane, float a, float b)
    {
        planes[(A * plane) + index] = a;
        planes[(B * plane) + index] = b;
        planes[(Mask * plane) + index] = 1f;
    }
}

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

        return Draw(hints, width, height, geometry, chromaGain);
    }

    /// <summary>
    /// The same pixels as <see cref="Rasterise"/> with a* and b* in Lab units (nothing divided) and the mask: the
    /// <c>hints</c> input of a graph that <c>colorize-train export --onnx</c> writes, which divides by 110 × the pack's
    /// chroma gain itself, so that a caller of ONNX Runtime needs neither number.
    /// </summary>
    /// <param name="hints">The hints, in source pixels.</param>
    /// <param name="width">The source's width.</param>
    /// <param name="height">The source's height.</param>
    /// <param name="geometry">The render geometry.</param>
    public static float[] RasteriseLab(IReadOnlyList<ColorHint>? hints, int width, int height, RenderGeometry geometry) =>
        Draw(hints, width, height, geometry, chromaGain: null);

    // chromaGain null: Lab units; otherwise the network's units, divided exactly as the pipeline always has.
    private static float[] Draw(IReadOnlyList<ColorHint>? hints, int width, int height, RenderGeometry geometry, double? chromaGain)
    {
        Validate(hints, width, height);
        int pw = geometry.PaddedWidth, plane = pw * geometry.PaddedHeight;
        var planes = new float[3 * plane];
        if (hints is null)
        {
            return planes;
        }

        foreach (var hint in hints)
        {
            var (_, labA, labB) = CieLab.FromSrgb(hint.Red / 255.0, hint.Green / 255.0, hint.Blue / 255.0);
            float a = (float)(chromaGain is { } g ? labA / g / ColorizationPipeline.AbScale : labA);
            float b = (float)(chromaGain is { } g2 ? labB / g2 / ColorizationPipeline.AbScale : labB);
            var disc = RenderDisc.Of(hint, width, height, geometry);
            for (int y = disc.Y0; y <= disc.Y1; y++)
            {
                for (int x = disc.X0; x <= disc.X1; x++)
                {
                    if (disc.Contains(x, y))
                    {
                        Set(planes, (y * pw) + x, plane, a, b);
                    }
                }
            }
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

/// <summary>
/// A hint's disc at the render size: the render pixels whose centres, mapped back to source pixels, lie within the
/// disc, and always the one holding its centre (see <see cref="HintPlanes"/>); never the padding. The hint planes and
/// the propagation of hints after the network (<see cref="HintPropagation"/>) both take a hint's pixels from here.
/// </summary>
internal readonly record struct RenderDisc(int X0, int Y0, int X1, int Y1, int CentreX, int CentreY, double CentreSourceX, double CentreSourceY, double Radius2, double ScaleX, double ScaleY)
{
    /// <summary>The disc of <paramref name="hint"/> on a <paramref name="width"/> × <paramref name="height"/> source run at <paramref name="geometry"/>.</summary>
    public static RenderDisc Of(ColorHint hint, int width, int height, RenderGeometry geometry)
    {
        // Render pixels per source pixel, as the resize maps the whole source onto the whole scaled image.
        double sx = geometry.Width / (double)width, sy = geometry.Height / (double)height;
        double cx = hint.X * sx, cy = hint.Y * sy;

        // The disc's bounding box in render pixels (centres within radius·scale of the centre), clipped to the image;
        // it always holds the centre's pixel.
        return new RenderDisc(
            Math.Max(0, (int)Math.Floor(cx - (hint.Radius * sx) - 0.5)),
            Math.Max(0, (int)Math.Floor(cy - (hint.Radius * sy) - 0.5)),
            Math.Min(geometry.Width - 1, (int)Math.Ceiling(cx + (hint.Radius * sx))),
            Math.Min(geometry.Height - 1, (int)Math.Ceiling(cy + (hint.Radius * sy))),
            Math.Min(geometry.Width - 1, (int)Math.Floor(cx)),
            Math.Min(geometry.Height - 1, (int)Math.Floor(cy)),
            hint.X, hint.Y, hint.Radius * hint.Radius, sx, sy);
    }

    /// <summary>Whether render pixel (<paramref name="x"/>, <paramref name="y"/>) of the bounding box is hinted.</summary>
    public bool Contains(int x, int y)
    {
        if (x == CentreX && y == CentreY)
        {
            // The render pixel holding the centre, however small the disc is at the render size.
            return true;
        }

        double dx = ((x + 0.5) / ScaleX) - CentreSourceX, dy = ((y + 0.5) / ScaleY) - CentreSourceY;
        return (dx * dx) + (dy * dy) <= Radius2;
    }
}

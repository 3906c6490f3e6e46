namespace Colorize.Imaging.Processing;

/// <summary>
/// The reconstruction filters of <see cref="Resampler"/>, the same ones (same formulas and supports) as PIL's
/// <c>Image.resize</c>.
/// </summary>
/// <remarks>
/// When shrinking, the filter is stretched by the size ratio (its support grows by the same factor), so every source
/// pixel contributes and the result is antialiased, as in PIL. When enlarging, the filter keeps its natural width.
/// </remarks>
public enum ResampleFilter
{
    /// <summary>
    /// Box (area average): weight 1 on (−0.5, 0.5], support 0.5. Shrinking by an integer factor averages whole blocks;
    /// enlarging repeats pixels (nearest neighbour).
    /// </summary>
    Box,

    /// <summary>Bilinear (triangle/tent), support 1.</summary>
    Bilinear,

    /// <summary>
    /// Bicubic convolution (Keys) with a = −0.5, support 2: the Catmull-Rom spline, as in PIL's <c>BICUBIC</c>
    /// (PyTorch's bicubic uses a = −0.75 and differs).
    /// </summary>
    Bicubic,

    /// <summary>Lanczos with three lobes: sinc(x)·sinc(x/3) on [−3, 3), support 3, as PIL's <c>LANCZOS</c>.</summary>
    Lanczos3,
}

namespace Colorize.Imaging.ColorSpaces;

/// <content>Convenience overloads over <see cref="Image"/>.</content>
public static partial class LabConverter
{
    /// <summary>Converts an image to planar L, a, b with rows of <c>source.Width</c> floats (or L alone when a and b are empty).</summary>
    /// <param name="source">The image.</param>
    /// <param name="l">Receives L; at least Width × Height floats.</param>
    /// <param name="a">Receives a, or empty.</param>
    /// <param name="b">Receives b, or empty.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <exception cref="ArgumentException">A plane is too small, or only one of <paramref name="a"/> and <paramref name="b"/> is given.</exception>
    public static void ToLab(Image source, Span<float> l, Span<float> a, Span<float> b, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ToLab(source.Buffer, l, a, b, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Writes planar L, a, b into an image, bringing out-of-gamut colours into the gamut as <paramref name="gamutMapping"/>
    /// says and leaving alpha untouched.
    /// </summary>
    /// <param name="l">L, rows of <c>destination.Width</c> floats.</param>
    /// <param name="a">a.</param>
    /// <param name="b">b.</param>
    /// <param name="destination">The image to write.</param>
    /// <param name="chromaScale">Multiplies a and b first (the user's colour strength); 1 leaves them unchanged.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <param name="gamutMapping">Per-channel clipping (the default) or chroma reduction at constant L.</param>
    /// <exception cref="ArgumentException">A plane is too small.</exception>
    public static void FromLab(
        ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Image destination, float chromaScale = 1f, int maxDegreeOfParallelism = -1,
        GamutMapping gamutMapping = GamutMapping.Clip)
    {
        ArgumentNullException.ThrowIfNull(destination);
        FromLab(l, a, b, destination.Buffer, chromaScale, maxDegreeOfParallelism, gamutMapping);
    }
}

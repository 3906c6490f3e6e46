namespace Colorize.Imaging.Processing;

/// <content>Convenience overloads over <see cref="Image"/>.</content>
public static partial class Resampler
{
    /// <summary>
    /// A resized copy of <paramref name="source"/> in the same pixel format, computed as PIL's <c>Image.resize</c>
    /// (alpha premultiplied for formats that have it).
    /// </summary>
    /// <param name="source">The image.</param>
    /// <param name="width">New width in pixels.</param>
    /// <param name="height">New height in pixels.</param>
    /// <param name="filter">The reconstruction filter.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most; 0 or negative for one per logical processor.</param>
    /// <returns>A new image that owns its pixels.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the filter is unknown.</exception>
    public static Image Resize(Image source, int width, int height, ResampleFilter filter, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new Image(width, height, source.PixelFormat);
        Resize(source.Buffer, result.Buffer, filter, premultiplyAlpha: true, maxDegreeOfParallelism);
        return result;
    }
}

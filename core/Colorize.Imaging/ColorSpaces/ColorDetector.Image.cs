namespace Colorize.Imaging.ColorSpaces;

/// <content>Convenience overloads over <see cref="Image"/>.</content>
public static partial class ColorDetector
{
    /// <summary>Samples an image and decides whether it is already colour.</summary>
    /// <param name="image">The image.</param>
    /// <param name="options">Thresholds; <see langword="null"/> for the defaults.</param>
    /// <returns>The decision and the statistics behind it.</returns>
    public static ColorDetectionResult Analyze(Image image, ColorDetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Analyze(image.Buffer, options);
    }
}

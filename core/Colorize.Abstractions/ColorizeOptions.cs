namespace Colorize.Abstractions;

/// <summary>How one colorization runs. Defaults give the pack's recommended result.</summary>
public sealed record ColorizeOptions
{
    /// <summary>
    /// The short side, in pixels, at which the network runs (rounded to the model's stride, aspect ratio kept);
    /// null uses the pack's default. Larger is slower and can be more detailed; smaller is often more saturated.
    /// </summary>
    public int? RenderSize { get; init; }

    /// <summary>Colour strength: 0 keeps the photo grey, 1 is the model's colour, up to 2 exaggerates it.</summary>
    public float Strength { get; init; } = 1f;

    /// <summary>Threads the engine may use; null uses every core.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// How colours sRGB cannot show are handled. The models predict only a and b, so the output's L is the source's L;
    /// converting L·ab back to sRGB can leave the gamut for strongly coloured pixels, and clipping each channel then
    /// changes the pixel's lightness. When true (the default), out-of-gamut pixels are brought into the gamut by
    /// reducing their chroma at constant L (a and b scaled towards 0 by bisection, about 10 steps; in-gamut pixels are
    /// untouched), so the output's L equals the source's L within 8-bit rounding. When false, each channel is clipped
    /// (the behaviour of skimage's <c>lab2rgb</c>): strongly coloured pixels keep more chroma but may shift in brightness.
    /// </summary>
    public bool KeepOriginalLuminance { get; init; } = true;

    /// <summary>Throws when a value is out of range, with a message naming it.</summary>
    public void Validate()
    {
        if (RenderSize is { } size && (size < 16 || size > 8192))
        {
            throw new ArgumentOutOfRangeException(nameof(RenderSize), size, "Render size must be between 16 and 8192 pixels.");
        }

        if (!(Strength >= 0f && Strength <= 2f))
        {
            throw new ArgumentOutOfRangeException(nameof(Strength), Strength, "Strength must be between 0 and 2.");
        }

        if (Threads is { } t && t < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), t, "Threads must be at least 1.");
        }
    }
}

/// <summary>Progress of one colorization, from 0 to 1, with the stage being worked on.</summary>
/// <param name="Fraction">Share of the work done, 0..1.</param>
/// <param name="Stage">What is happening ("converting", "network", "merging").</param>
public readonly record struct ColorizeProgress(double Fraction, string Stage);

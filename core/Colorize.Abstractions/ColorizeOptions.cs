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

    /// <summary>
    /// Colour hints (contract 1.2): colours the user pins on the photo, in source pixels. Null or empty colorizes
    /// automatically. Only colorizers whose <see cref="IColorizer.SupportsHints"/> is true take them; the others throw
    /// <see cref="HintsNotSupportedException"/>. A hint outside the source image is refused by the colorizer.
    /// </summary>
    public IReadOnlyList<ColorHint>? Hints { get; init; }

    /// <summary>The most hints one colorization takes.</summary>
    public const int MaxHints = 1024;

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

        if (Hints is { } hints)
        {
            if (hints.Count > MaxHints)
            {
                throw new ArgumentOutOfRangeException(nameof(Hints), hints.Count, $"At most {MaxHints} hints are taken.");
            }

            foreach (ColorHint hint in hints)
            {
                ArgumentNullException.ThrowIfNull(hint, nameof(Hints));
                hint.Validate();
            }
        }
    }
}

/// <summary>Progress of one colorization, from 0 to 1, with the stage being worked on.</summary>
/// <param name="Fraction">Share of the work done, 0..1.</param>
/// <param name="Stage">What is happening ("converting", "network", "merging").</param>
public readonly record struct ColorizeProgress(double Fraction, string Stage);

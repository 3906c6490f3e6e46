namespace Colorize.Abstractions;

/// <summary>
/// A colour the user pins on the photo ("this coat is red"): the model should colour the area around
/// (<see cref="X"/>, <see cref="Y"/>) in this colour's hue and chroma, and let it flow into the object it belongs to.
/// Only the hint's chroma is used (its a and b in Lab); the output's lightness stays the photo's.
/// </summary>
/// <param name="X">Horizontal position in source pixels (0 is the left edge of the first pixel column).</param>
/// <param name="Y">Vertical position in source pixels (0 is the top edge of the first pixel row).</param>
/// <param name="Red">The colour's sRGB red, 0–255.</param>
/// <param name="Green">The colour's sRGB green, 0–255.</param>
/// <param name="Blue">The colour's sRGB blue, 0–255.</param>
/// <param name="Radius">Radius of the hinted disc in source pixels (at least one pixel of the network's input is hinted
/// however small it is at the render size).</param>
public sealed record ColorHint(double X, double Y, byte Red, byte Green, byte Blue, double Radius = ColorHint.DefaultRadius)
{
    /// <summary>The radius a hint gets when none is given, in source pixels.</summary>
    public const double DefaultRadius = 4;

    /// <summary>The largest radius a hint may have, in source pixels.</summary>
    public const double MaxRadius = 4096;

    /// <summary>Throws when the position or radius is not a finite number in range (the image's size is checked by the colorizer).</summary>
    public void Validate()
    {
        if (!(double.IsFinite(X) && X >= 0) || !(double.IsFinite(Y) && Y >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(X), $"A hint's position must be a finite, non-negative pixel position, got ({X}, {Y}).");
        }

        if (!(Radius > 0 && Radius <= MaxRadius))
        {
            throw new ArgumentOutOfRangeException(nameof(Radius), Radius, $"A hint's radius must be above 0 and at most {MaxRadius} pixels.");
        }
    }
}

/// <summary>
/// Thrown when colour hints are given to a colorizer whose model cannot use them (its pack was not trained with a hint
/// input). Hosts check <see cref="IColorizer.SupportsHints"/> first and tell the user; nothing is colorized.
/// </summary>
public sealed class HintsNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception for a pack.</summary>
    /// <param name="packReference">The pack's id@version.</param>
    public HintsNotSupportedException(string packReference)
        : base($"The model pack {packReference} does not take colour hints.")
    {
        PackReference = packReference;
    }

    /// <summary>The pack's id@version.</summary>
    public string PackReference { get; }
}

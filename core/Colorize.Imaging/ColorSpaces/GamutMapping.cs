namespace Colorize.Imaging.ColorSpaces;

/// <summary>How <see cref="LabConverter.FromLab(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, Span{byte}, int, InterleavedLayout, float, int, GamutMapping)"/>
/// brings a Lab colour that sRGB cannot show into the gamut.</summary>
public enum GamutMapping
{
    /// <summary>
    /// Clip each linear sRGB channel to 0…1, as skimage's <c>lab2rgb</c> does. Hue is roughly kept, but the clipped
    /// pixel's lightness is no longer its L.
    /// </summary>
    Clip = 0,

    /// <summary>
    /// Keep L and hue and reduce the chroma instead: a and b of an out-of-gamut pixel are scaled towards 0 (by
    /// bisection, 10 steps) until the colour fits, so the output's lightness is the input's L (within the output's
    /// rounding). In-gamut pixels are written exactly as with <see cref="Clip"/>; an L outside 0…100 is still clipped.
    /// </summary>
    PreserveLightness = 1,
}

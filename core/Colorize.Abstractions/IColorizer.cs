using Colorize.Abstractions.Packs;

namespace Colorize.Abstractions;

/// <summary>
/// A loaded model that colorizes images. Thread-safe: several images may be colorized at once. Results are
/// deterministic: the same input and options give the same bits.
/// </summary>
public interface IColorizer : IDisposable
{
    /// <summary>The manifest of the pack this colorizer was loaded from.</summary>
    PackManifest Manifest { get; }

    /// <summary>
    /// Whether <see cref="ColorizeOptions.Hints"/> are used (contract 1.2; the pack's manifest has
    /// <c>input.hints: true</c>). Colorizers built against 1.0/1.1 inherit false.
    /// </summary>
    bool SupportsHints => false;

    /// <summary>
    /// Colorizes <paramref name="source"/> into <paramref name="destination"/> (same width and height; formats may
    /// differ: Gray8/Gray16/Rgb24/Rgba32/Bgra32/Rgb48/Rgba64). Alpha is copied untouched. A colour source is
    /// re-colorized from its luminance. The two buffers may be the same memory.
    /// </summary>
    /// <param name="source">The photo.</param>
    /// <param name="destination">Where the colour photo goes.</param>
    /// <param name="options">Render size, strength, threads; null for defaults.</param>
    /// <param name="progress">Optional progress reports.</param>
    /// <param name="cancellationToken">Cancels within a fraction of a second (checked between network layers).</param>
    void Colorize(PixelBuffer source, PixelBuffer destination, ColorizeOptions? options = null, IProgress<ColorizeProgress>? progress = null, CancellationToken cancellationToken = default);
}

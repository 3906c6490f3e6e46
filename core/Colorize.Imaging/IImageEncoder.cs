namespace Colorize.Imaging;

/// <summary>
/// Writes one encoded format. An encoder object carries its settings (quality, bit depth, compression) as
/// init-only properties, so one configured instance can be reused and shared across threads.
/// </summary>
public interface IImageEncoder
{
    /// <summary>The format this encoder writes.</summary>
    ImageFormat Format { get; }

    /// <summary>Encodes <paramref name="image"/> to <paramref name="stream"/>, converting pixels to a form the format stores when needed. The image is not modified.</summary>
    /// <param name="image">The pixels to write.</param>
    /// <param name="stream">A writable stream; it is written from its current position and left open.</param>
    /// <exception cref="ImageFormatException">The image cannot be written with these settings (for example, too large for the format).</exception>
    void Encode(Image image, Stream stream);
}

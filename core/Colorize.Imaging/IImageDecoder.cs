namespace Colorize.Imaging;

/// <summary>
/// Reads one encoded format. Implementations are stateless and thread-safe: one instance serves every call.
/// Every failure caused by the data is an <see cref="ImageFormatException"/> (or a subclass such as
/// <see cref="ImageLimitException"/>) with a message a person understands; no other exception type may escape
/// for bad input, decoding never hangs, and limits in <see cref="DecoderOptions"/> are checked before allocating.
/// </summary>
public interface IImageDecoder
{
    /// <summary>The format this decoder reads.</summary>
    ImageFormat Format { get; }

    /// <summary>How many leading bytes <see cref="IsSupportedFormat"/> needs to recognise the format.</summary>
    int HeaderSize { get; }

    /// <summary>Whether <paramref name="header"/> (the first bytes of a file, possibly fewer than <see cref="HeaderSize"/>) starts an image of this format.</summary>
    /// <param name="header">The leading bytes of the data.</param>
    bool IsSupportedFormat(ReadOnlySpan<byte> header);

    /// <summary>Reads the size and pixel format from the header without decoding the pixels.</summary>
    /// <param name="data">The whole encoded file.</param>
    /// <param name="options">Limits and settings.</param>
    /// <exception cref="ImageFormatException">The data is not a valid image of this format.</exception>
    ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options);

    /// <summary>Decodes the (first) image in <paramref name="data"/>.</summary>
    /// <param name="data">The whole encoded file.</param>
    /// <param name="options">Limits and settings.</param>
    /// <returns>A new image in the format <see cref="Identify"/> reports.</returns>
    /// <exception cref="ImageFormatException">The data is not a valid image of this format.</exception>
    /// <exception cref="ImageLimitException">The image exceeds the limits in <paramref name="options"/>.</exception>
    Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options);
}

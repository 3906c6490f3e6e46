using Colorize.Abstractions;

namespace Colorize.Imaging;

/// <summary>
/// Settings every decoder honours. The limits are checked against the dimensions in the header BEFORE any pixel
/// memory is allocated, so a hostile or corrupt header that claims a gigantic image fails fast with an
/// <see cref="ImageLimitException"/>.
/// </summary>
public sealed class DecoderOptions
{
    /// <summary>The default limit on pixels: 16384 × 16384.</summary>
    public const long DefaultMaxPixels = 16384L * 16384L;

    /// <summary>The default limit on the decoded image's memory: 1 GiB.</summary>
    public const long DefaultMaxBytes = 1L << 30;

    /// <summary>Options with the default limits and the default format registry.</summary>
    public static DecoderOptions Default { get; } = new();

    /// <summary>The largest number of pixels (width × height) a decoder accepts.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// The largest decoded image, in bytes, a decoder accepts (width × height × bytes per pixel of the output
    /// format). Working buffers a decoder needs on top are a small multiple of this at most.
    /// </summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>The formats <see cref="Image.Load(string, DecoderOptions?)"/> detects from; null means <see cref="ImageFormatRegistry.Default"/>.</summary>
    public ImageFormatRegistry? Formats { get; init; }

    /// <summary>
    /// Throws unless a <paramref name="width"/> × <paramref name="height"/> image in <paramref name="format"/> is
    /// positive in size and within <see cref="MaxPixels"/> and <see cref="MaxBytes"/>. Decoders call this right
    /// after reading the header and before allocating.
    /// </summary>
    /// <param name="width">The width the header claims (may be absurd).</param>
    /// <param name="height">The height the header claims (may be absurd).</param>
    /// <param name="format">The pixel format the decoder will allocate.</param>
    /// <param name="formatName">The file format, for the message ("PNG").</param>
    /// <exception cref="ImageFormatException">A dimension is zero or negative.</exception>
    /// <exception cref="ImageLimitException">The image exceeds a limit.</exception>
    public void EnsureWithinLimits(long width, long height, PixelFormat format, string formatName)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageFormatException($"The {formatName} header gives an invalid size of {width}x{height} pixels.");
        }

        // Neither product can overflow: both factors are below 2^32 for every format's header fields, but
        // compare in decimal to stay safe for callers that pass larger values.
        decimal pixels = (decimal)width * height;
        if (pixels > MaxPixels)
        {
            throw new ImageLimitException(
                $"The {formatName} image is {width}x{height} pixels ({pixels / 1e6m:0.#} megapixels), more than the limit of {MaxPixels / 1e6:0.#} megapixels.");
        }

        decimal bytes = pixels * format.BytesPerPixel();
        if (bytes > MaxBytes || bytes > Array.MaxLength)
        {
            long limit = Math.Min(MaxBytes, Array.MaxLength);
            throw new ImageLimitException(
                $"The {formatName} image is {width}x{height} pixels and would need {bytes / (1024m * 1024m):0} MiB as {format}, more than the limit of {limit / (1024.0 * 1024.0):0} MiB.");
        }
    }
}

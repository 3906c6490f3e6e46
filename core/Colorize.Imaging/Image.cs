using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging;

/// <summary>
/// A decoded image: a <see cref="PixelBuffer"/> in one of the <see cref="Abstractions.PixelFormat"/>s, either
/// owned (allocated by a decoder or the constructor) or wrapping memory a host owns, without a copy.
/// </summary>
/// <remarks>
/// Loading detects the format from the bytes, never from the file name. Saving to a path writes a temporary file
/// in the same folder and renames it over the target, so a failed or interrupted save never leaves a truncated
/// file behind, and the file an image was loaded from (read fully into memory first) is never damaged.
/// </remarks>
public sealed class Image
{
    private Image(PixelBuffer buffer) => Buffer = buffer;

    /// <summary>Allocates a zeroed image (transparent black for formats with alpha).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the format is undefined, or the image exceeds 2 GiB.</exception>
    public Image(int width, int height, PixelFormat pixelFormat)
        : this(PixelBuffer.Allocate(width, height, pixelFormat))
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width => Buffer.Width;

    /// <summary>Height in pixels.</summary>
    public int Height => Buffer.Height;

    /// <summary>The layout of each pixel.</summary>
    public PixelFormat PixelFormat => Buffer.Format;

    /// <summary>The pixels. For a wrapped image this is the caller's buffer itself.</summary>
    public PixelBuffer Buffer { get; }

    /// <summary>Wraps <paramref name="buffer"/> without copying: changes through the image show in the buffer and vice versa.</summary>
    public static Image Wrap(PixelBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return new Image(buffer);
    }

    /// <summary>The pixel bytes of row <paramref name="y"/>, without stride padding.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="y"/> is outside the image.</exception>
    public Span<byte> GetRowBytes(int y) => Buffer.GetRow(y);

    /// <summary>
    /// Row <paramref name="y"/> as a span of <typeparamref name="T"/>: either one element per pixel (a pixel
    /// struct such as <see cref="Rgb24"/>, or <see cref="byte"/>/<see cref="ushort"/> for gray) or one element per
    /// channel (<see cref="byte"/> for 8-bit formats, <see cref="ushort"/> for 16-bit formats).
    /// </summary>
    /// <exception cref="ArgumentException">The size of <typeparamref name="T"/> fits neither a pixel nor a channel.</exception>
    public Span<T> GetRow<T>(int y)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (size != PixelFormat.BytesPerPixel() && size != PixelFormat.BytesPerChannel())
        {
            throw new ArgumentException(
                $"{typeof(T).Name} ({size} bytes) matches neither a {PixelFormat} pixel ({PixelFormat.BytesPerPixel()} bytes) nor one of its channels.",
                nameof(T));
        }

        return MemoryMarshal.Cast<byte, T>(Buffer.GetRow(y));
    }

    /// <summary>A deep copy in the same format, with contiguous rows, owning its memory.</summary>
    public Image Clone() => ConvertTo(PixelFormat);

    /// <summary>
    /// A new image with the pixels converted to <paramref name="format"/>; see <see cref="CopyTo"/> for the rules.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The format is undefined.</exception>
    public Image ConvertTo(PixelFormat format)
    {
        var result = new Image(Width, Height, format);
        CopyTo(result.Buffer);
        return result;
    }

    /// <summary>
    /// Copies the pixels into <paramref name="destination"/> (same width and height, any format and stride),
    /// converting as needed; the way to hand a decoded image to a host's own buffer.
    /// </summary>
    /// <remarks>
    /// Conversion rules: 8 → 16 bits is <c>v16 = v8 × 257</c> (exact inverse of the next rule);
    /// 16 → 8 bits rounds to nearest, <c>v8 = (v16 × 255 + 32767) / 65535</c>; gray → colour replicates the
    /// value; colour → gray is BT.601 luma <c>(19595 R + 38470 G + 7471 B + 32768) >> 16</c> (what PIL's
    /// <c>convert("L")</c> does), computed at 16 bits when either side is 16-bit; adding alpha makes pixels
    /// opaque; removing alpha drops it (no compositing); R/B order is swapped for <see cref="PixelFormat.Bgra32"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public void CopyTo(PixelBuffer destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Width != Width || destination.Height != Height)
        {
            throw new ArgumentException(
                $"The destination is {destination.Width}x{destination.Height} but the image is {Width}x{Height}.", nameof(destination));
        }

        PixelConverter.Convert(Buffer, destination);
    }

    /// <summary>Detects the format of <paramref name="data"/> from its first bytes, or returns null.</summary>
    /// <param name="data">The start of a file (a few dozen bytes are enough for every built-in format).</param>
    /// <param name="formats">The registry to consult; <see cref="ImageFormatRegistry.Default"/> when null.</param>
    public static ImageFormat? DetectFormat(ReadOnlySpan<byte> data, ImageFormatRegistry? formats = null) =>
        (formats ?? ImageFormatRegistry.Default).FindDecoder(data)?.Format;

    /// <summary>Reads and decodes the image file at <paramref name="path"/>; the format comes from its content.</summary>
    /// <exception cref="ImageFormatException">The file is not a valid image in a registered format.</exception>
    /// <exception cref="ImageLimitException">The image exceeds the limits in <paramref name="options"/>.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Image Load(string path, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        return Load(ReadFile(path, options), options);
    }

    /// <summary>Reads <paramref name="stream"/> to its end and decodes the image in it.</summary>
    /// <exception cref="ImageFormatException">The data is not a valid image in a registered format.</exception>
    /// <exception cref="ImageLimitException">The image exceeds the limits in <paramref name="options"/>.</exception>
    public static Image Load(Stream stream, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        return Load(ReadStream(stream, options), options);
    }

    /// <summary>Decodes the encoded image in <paramref name="data"/> (a <see cref="byte"/> array converts implicitly).</summary>
    /// <exception cref="ImageFormatException">The data is not a valid image in a registered format.</exception>
    /// <exception cref="ImageLimitException">The image exceeds the limits in <paramref name="options"/>.</exception>
    public static Image Load(ReadOnlyMemory<byte> data, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        IImageDecoder decoder = FindDecoderOrThrow(data.Span, options);
        return Guard(decoder, () => decoder.Decode(data, options));
    }

    /// <summary>Reads the size and pixel format of the image file at <paramref name="path"/> without decoding pixels.</summary>
    /// <exception cref="ImageFormatException">The file is not a valid image in a registered format.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ImageInfo Identify(string path, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        return Identify(ReadFile(path, options), options);
    }

    /// <summary>Reads <paramref name="stream"/> to its end and identifies the image in it.</summary>
    /// <exception cref="ImageFormatException">The data is not a valid image in a registered format.</exception>
    public static ImageInfo Identify(Stream stream, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        return Identify(ReadStream(stream, options), options);
    }

    /// <summary>Identifies the encoded image in <paramref name="data"/> without decoding pixels.</summary>
    /// <exception cref="ImageFormatException">The data is not a valid image in a registered format.</exception>
    public static ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions? options = null)
    {
        options ??= DecoderOptions.Default;
        IImageDecoder decoder = FindDecoderOrThrow(data.Span, options);
        return Guard(decoder, () => decoder.Identify(data, options));
    }

    /// <summary>Saves to <paramref name="path"/> in the format its extension names, with that format's default encoder, replacing an existing file atomically.</summary>
    /// <exception cref="UnknownImageFormatException">No encoder is registered for the extension.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path) => Save(path, EncoderForPath(path, ImageFormatRegistry.Default));

    /// <summary>Saves to <paramref name="path"/> with <paramref name="encoder"/>, replacing an existing file atomically.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path, IImageEncoder encoder) => Save(path, encoder, overwrite: true);

    /// <summary>
    /// Saves to <paramref name="path"/> with <paramref name="encoder"/>: the image is encoded into a temporary file
    /// in the same folder, flushed, then renamed over <paramref name="path"/>. If encoding fails the temporary
    /// file is deleted and any existing file is left untouched. The first save into a folder in a process also deletes
    /// the temporary files that killed processes left there (<c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>).
    /// </summary>
    /// <param name="path">The output file.</param>
    /// <param name="encoder">The encoder and its settings.</param>
    /// <param name="overwrite">Whether an existing file may be replaced; when false an existing file causes an <see cref="IOException"/>.</param>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false, or it cannot be written.</exception>
    public void Save(string path, IImageEncoder encoder, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encoder);
        string fullPath = Path.GetFullPath(path);
        if (!overwrite && File.Exists(fullPath))
        {
            throw new IOException($"'{fullPath}' already exists.");
        }

        string tempPath = TemporaryFiles.For(fullPath);
        try
        {
            using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                encoder.Encode(this, file);
                file.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>Encodes to <paramref name="stream"/> with <paramref name="encoder"/>; the stream is left open.</summary>
    public void Save(Stream stream, IImageEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.Encode(this, stream);
    }

    private static IImageEncoder EncoderForPath(string path, ImageFormatRegistry formats)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ImageFormat? format = formats.FindFormatByExtension(path);
        IImageEncoder? encoder = format is null ? null : formats.FindEncoder(format);
        return encoder ?? throw new UnknownImageFormatException(
            $"Cannot tell which format to write from the name '{Path.GetFileName(path)}'; use an extension such as "
            + string.Join(", ", formats.Encoders.Select(e => "." + e.Format.FileExtensions[0])) + ".");
    }

    private static IImageDecoder FindDecoderOrThrow(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        ImageFormatRegistry formats = options.Formats ?? ImageFormatRegistry.Default;
        if (data.IsEmpty)
        {
            throw new UnknownImageFormatException("The data is empty.");
        }

        return formats.FindDecoder(data) ?? throw new UnknownImageFormatException(
            $"The data is not in a format this library reads (it starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])}); supported: "
            + string.Join(", ", formats.Decoders.Select(d => d.Format.Name)) + ".");
    }

    // Decoders are required to report bad data as ImageFormatException; this is a second line of defence so a
    // decoder bug surfaces to users as "corrupt file" with the detail kept, not as a crash. The fuzzer calls the
    // decoders directly, so it still catches such bugs.
    private static T Guard<T>(IImageDecoder decoder, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is not ImageFormatException and not OutOfMemoryException and not OperationCanceledException)
        {
            throw new ImageFormatException($"The {decoder.Format.Name} data could not be decoded: {ex.Message}", ex);
        }
    }

    private static byte[] ReadFile(string path, DecoderOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return ReadStream(file, options);
    }

    private static byte[] ReadStream(Stream stream, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long limit = Math.Min(options.MaxBytes, Array.MaxLength);
        if (stream.CanSeek)
        {
            long length = stream.Length - stream.Position;
            if (length > limit)
            {
                throw new ImageLimitException($"The file is {length / (1024 * 1024)} MiB, more than the limit of {limit / (1024 * 1024)} MiB.");
            }

            byte[] bytes = GC.AllocateUninitializedArray<byte>((int)length);
            stream.ReadExactly(bytes);
            return bytes;
        }

        using var copy = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (copy.Length + read > limit)
            {
                throw new ImageLimitException($"The stream is longer than the limit of {limit / (1024 * 1024)} MiB.");
            }

            copy.Write(chunk, 0, read);
        }

        return copy.ToArray();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the save already failed and that error is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

namespace Colorize.Imaging;

/// <summary>
/// The decoders and default encoders known to <see cref="Image"/>. Decoders are chosen by the file's content
/// (its magic bytes), never its name; encoders for <see cref="Image.Save(string)"/> are chosen by the extension
/// of the output path. Thread-safe: lookups never block and additions replace the tables atomically.
/// </summary>
public sealed partial class ImageFormatRegistry
{
    private readonly object _gate = new();
    private IImageDecoder[] _decoders = [];
    private IImageEncoder[] _encoders = [];

    /// <summary>The registry <see cref="Image"/> uses when no other is given: PNG, BMP, TIFF and JPEG.</summary>
    public static ImageFormatRegistry Default { get; } = CreateDefault();

    /// <summary>The registered decoders, in detection order.</summary>
    public IReadOnlyList<IImageDecoder> Decoders => Volatile.Read(ref _decoders);

    /// <summary>The registered default encoders, one per format.</summary>
    public IReadOnlyList<IImageEncoder> Encoders => Volatile.Read(ref _encoders);

    /// <summary>The longest header any registered decoder needs for detection.</summary>
    public int MaxHeaderSize => Volatile.Read(ref _decoders).Select(d => d.HeaderSize).DefaultIfEmpty(0).Max();

    /// <summary>Creates a new registry holding the built-in codecs (PNG, BMP, TIFF and JPEG).</summary>
    public static ImageFormatRegistry CreateDefault()
    {
        var registry = new ImageFormatRegistry();
        AddBuiltInCodecs(registry);
        return registry;
    }

    /// <summary>Registers <paramref name="decoder"/>, replacing any decoder already registered for the same format.</summary>
    public void AddDecoder(IImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        lock (_gate)
        {
            _decoders = [.. _decoders.Where(d => d.Format != decoder.Format), decoder];
        }
    }

    /// <summary>Registers <paramref name="encoder"/> as the default for its format, replacing the previous one.</summary>
    public void AddEncoder(IImageEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        lock (_gate)
        {
            _encoders = [.. _encoders.Where(e => e.Format != encoder.Format), encoder];
        }
    }

    /// <summary>The decoder that recognises <paramref name="header"/> (the first bytes of a file), or null.</summary>
    public IImageDecoder? FindDecoder(ReadOnlySpan<byte> header)
    {
        foreach (IImageDecoder decoder in Volatile.Read(ref _decoders))
        {
            if (decoder.IsSupportedFormat(header))
            {
                return decoder;
            }
        }

        return null;
    }

    /// <summary>The decoder registered for <paramref name="format"/>, or null.</summary>
    public IImageDecoder? FindDecoder(ImageFormat format) =>
        Array.Find(Volatile.Read(ref _decoders), d => d.Format == format);

    /// <summary>The default encoder registered for <paramref name="format"/>, or null.</summary>
    public IImageEncoder? FindEncoder(ImageFormat format) =>
        Array.Find(Volatile.Read(ref _encoders), e => e.Format == format);

    /// <summary>
    /// The format whose extensions include the extension of <paramref name="pathOrExtension"/> (case-insensitive;
    /// "photo.PNG", ".png" and "png" all work), or null.
    /// </summary>
    public ImageFormat? FindFormatByExtension(string pathOrExtension)
    {
        ArgumentNullException.ThrowIfNull(pathOrExtension);
        string extension = Path.GetExtension(pathOrExtension);
        extension = (extension.Length > 0 ? extension : pathOrExtension).TrimStart('.');
        IEnumerable<ImageFormat> formats = Volatile.Read(ref _encoders).Select(e => e.Format)
            .Concat(Volatile.Read(ref _decoders).Select(d => d.Format));
        return formats.FirstOrDefault(f => f.FileExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase));
    }
}

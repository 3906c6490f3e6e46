namespace Colorize.Imaging;

/// <summary>
/// Names an encoded image format (PNG, JPEG, ...): its display name, MIME type and usual file extensions.
/// Instances are compared by reference; use the well-known static instances.
/// </summary>
public sealed class ImageFormat
{
    /// <summary>Creates a format descriptor (for formats registered from outside this library).</summary>
    /// <param name="name">A short display name, such as "PNG".</param>
    /// <param name="mimeType">The MIME type, such as "image/png".</param>
    /// <param name="fileExtensions">Extensions without the dot, lower case; the first one is the preferred one.</param>
    public ImageFormat(string name, string mimeType, params string[] fileExtensions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(mimeType);
        ArgumentNullException.ThrowIfNull(fileExtensions);
        Name = name;
        MimeType = mimeType;
        FileExtensions = [.. fileExtensions.Select(e => e.TrimStart('.').ToLowerInvariant())];
    }

    /// <summary>Portable Network Graphics.</summary>
    public static ImageFormat Png { get; } = new("PNG", "image/png", "png");

    /// <summary>JPEG / JFIF.</summary>
    public static ImageFormat Jpeg { get; } = new("JPEG", "image/jpeg", "jpg", "jpeg", "jpe", "jfif");

    /// <summary>Windows bitmap.</summary>
    public static ImageFormat Bmp { get; } = new("BMP", "image/bmp", "bmp", "dib");

    /// <summary>Tagged Image File Format.</summary>
    public static ImageFormat Tiff { get; } = new("TIFF", "image/tiff", "tif", "tiff");

    /// <summary>The display name, such as "PNG".</summary>
    public string Name { get; }

    /// <summary>The MIME type, such as "image/png".</summary>
    public string MimeType { get; }

    /// <summary>File extensions without the dot, lower case; the first is the preferred one.</summary>
    public IReadOnlyList<string> FileExtensions { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

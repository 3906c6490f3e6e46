using System.Globalization;
using System.Text;
using Colorize.Abstractions;
using Colorize.Imaging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Colorize.Host.Web;

/// <summary>
/// An error the API answers with: an HTTP status and one line of text (sent as <c>{"error": "..."}</c>), and for a busy
/// server the seconds after which to try again (<c>Retry-After</c>).
/// </summary>
internal sealed class ApiException(int status, string message, int? retryAfterSeconds = null) : Exception(message)
{
    public int Status { get; } = status;

    public int? RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>An uploaded image that passed the checks on its header: the bytes, the format its content shows, its size.</summary>
internal sealed record UploadedImage(byte[] Data, ImageFormat Format, int Width, int Height, PixelFormat PixelFormat, string SafeName);

/// <summary>The multipart form of <c>POST /api/colorize</c> and <c>POST /api/jobs</c>.</summary>
internal sealed record UploadForm(byte[] Data, string? ClientFileName, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// Reads uploads without ever touching the file system: the multipart body is parsed here (not by ASP.NET's form
/// reader, which spools large files to temp files) into memory bounded by the body limit, and the file is judged
/// by its content (magic bytes, then its header through Colorize.Imaging), never by its name or Content-Type.
/// </summary>
internal static class Uploads
{
    private const int MaxSections = 16;
    private const int MaxFieldChars = 256;

    /// <summary>Refuses (413) a body whose declared length passes the limit, before anything is read or reserved.</summary>
    public static void CheckDeclaredLength(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength is { } length && length > maxBytes)
        {
            throw TooLarge(maxBytes);
        }
    }

    public static async Task<UploadForm> ReadFormAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        CheckDeclaredLength(request, maxBytes);

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "send the image as multipart/form-data with a 'file' field");
        }

        string boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 70)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "the multipart boundary is missing or too long");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 8 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[]? data = null;
        string? fileName = null;
        try
        {
            for (int sections = 0; ; sections++)
            {
                var section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
                if (section is null)
                {
                    break;
                }

                if (sections >= MaxSections)
                {
                    throw new ApiException(StatusCodes.Status400BadRequest, $"the form has more than {MaxSections} parts");
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ApiException(StatusCodes.Status400BadRequest, "a form part has no Content-Disposition: form-data header");
                }

                string name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition() || name == "file")
                {
                    if (name != "file")
                    {
                        throw new ApiException(StatusCodes.Status400BadRequest, $"unexpected file field '{Clip(name)}'; send the image as 'file'");
                    }

                    if (data is not null)
                    {
                        throw new ApiException(StatusCodes.Status400BadRequest, "send one 'file' per request (one job per image)");
                    }

                    // Sized from the declared body once, instead of doubling (and copying) its way up to it.
                    int capacity = (int)Math.Min(request.ContentLength ?? 0, maxBytes);
                    data = await ReadBoundedAsync(section.Body, maxBytes, cancellationToken, capacity).ConfigureAwait(false) ?? throw TooLarge(maxBytes);
                    fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                }
                else
                {
                    // The hints field carries a whole hints file (up to 1024 hints); every other field is a short value.
                    long limit = name == "hints" ? HintSet.MaxFileBytes : MaxFieldChars * 4;
                    byte[] value = await ReadBoundedAsync(section.Body, limit, cancellationToken).ConfigureAwait(false)
                        ?? throw new ApiException(StatusCodes.Status400BadRequest, $"the form field '{Clip(name)}' is too long");
                    fields[name] = Encoding.UTF8.GetString(value).Trim();
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, "the request body could not be read: " + e.Message);
        }
        catch (InvalidDataException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "the multipart body is malformed: " + e.Message);
        }

        if (data is null)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "no 'file' field in the form");
        }

        return new UploadForm(data, fileName, fields);
    }

    /// <summary>Checks the bytes are an image this server reads and within the pixel limit, from the header only.</summary>
    public static UploadedImage Inspect(UploadForm form, DecoderOptions decoderOptions)
    {
        if (form.Data.Length == 0)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "the file is empty");
        }

        var format = Image.DetectFormat(form.Data, decoderOptions.Formats);
        if (format is null)
        {
            string known = string.Join(", ", (decoderOptions.Formats ?? ImageFormatRegistry.Default).Decoders.Select(d => d.Format.Name));
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"the file is not an image this server reads ({known}); its content was checked, not its name");
        }

        ImageInfo info;
        try
        {
            info = Image.Identify(form.Data, decoderOptions);
        }
        catch (ImageLimitException e)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (ImageFormatException e)
        {
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, e.Message);
        }

        return new UploadedImage(form.Data, format, info.Width, info.Height, info.PixelFormat, SafeStem(form.ClientFileName));
    }

    /// <summary>
    /// The client's file name reduced to a harmless stem for Content-Disposition only: the last path segment
    /// without its extension, letters, digits and <c>-_.() </c> kept, everything else (separators, control
    /// characters, quotes) replaced, no leading dots, at most 80 characters; "image" when nothing is left.
    /// It never names a file on this machine.
    /// </summary>
    public static string SafeStem(string? clientName)
    {
        string name = clientName ?? "";
        int slash = name.LastIndexOfAny(['/', '\\']);
        if (slash >= 0)
        {
            name = name[(slash + 1)..];
        }

        int dot = name.LastIndexOf('.');
        if (dot > 0)
        {
            name = name[..dot];
        }

        var safe = new StringBuilder(Math.Min(name.Length, 80));
        foreach (var rune in name.EnumerateRunes())
        {
            if (safe.Length >= 80)
            {
                break;
            }

            bool keep = Rune.IsLetterOrDigit(rune) || (rune.IsAscii && "-_.() ".Contains((char)rune.Value, StringComparison.Ordinal));
            if (keep)
            {
                safe.Append(rune.ToString());
            }
            else if (safe.Length > 0 && safe[^1] != '_')
            {
                safe.Append('_');
            }
        }

        string stem = safe.ToString().TrimStart('.', ' ', '_').TrimEnd('.', ' ', '_');
        return stem.Length == 0 ? "image" : stem;
    }

    /// <summary>The render size, strength, keepLuminance and pack named in the form, checked like the command line's options.</summary>
    public static (string? Pack, ColorizeOptions Options) ReadOptions(IReadOnlyDictionary<string, string> fields, int? threads)
    {
        int? renderSize = null;
        if (fields.TryGetValue("renderSize", out var size) && size.Length > 0)
        {
            if (!int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"renderSize '{Clip(size)}' is not a whole number of pixels");
            }

            renderSize = value;
        }

        float strength = 1f;
        if (fields.TryGetValue("strength", out var text) && text.Length > 0
            && !float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out strength))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"strength '{Clip(text)}' is not a number");
        }

        bool keepLuminance = true;
        if (fields.TryGetValue("keepLuminance", out var keep) && keep.Length > 0 && !bool.TryParse(keep, out keepLuminance))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"keepLuminance '{Clip(keep)}' is neither true nor false");
        }

        var options = new ColorizeOptions { RenderSize = renderSize, Strength = strength, Threads = threads, KeepOriginalLuminance = keepLuminance };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string message = e.Message;
            int parameter = message.IndexOf(" (Parameter", StringComparison.Ordinal);
            throw new ApiException(StatusCodes.Status400BadRequest, parameter >= 0 ? message[..parameter] : message);
        }

        string? pack = fields.TryGetValue("pack", out var p) && p.Length > 0 ? p : null;
        return (pack, options);
    }

    /// <summary>The <c>allowTruncated</c> field: colorize the decoded part of a truncated or damaged image instead of refusing it (default false).</summary>
    public static bool ReadAllowTruncated(IReadOnlyDictionary<string, string> fields)
    {
        if (!fields.TryGetValue("allowTruncated", out var text) || text.Length == 0)
        {
            return false;
        }

        return bool.TryParse(text, out bool value)
            ? value
            : throw new ApiException(StatusCodes.Status400BadRequest, $"allowTruncated '{Clip(text)}' is neither true nor false");
    }

    /// <summary>
    /// The <c>hints</c> field: colour hints in the JSON format of the command line's <c>--hints</c> file (what the page
    /// exports), checked against the image's size (its <c>width</c>/<c>height</c>, when given, scale them to a resized
    /// copy). None when the field is absent or empty. Malformed: 400; not fitting the image: 422.
    /// </summary>
    public static IReadOnlyList<ColorHint> ReadHints(IReadOnlyDictionary<string, string> fields, int width, int height)
    {
        if (!fields.TryGetValue("hints", out var text) || text.Length == 0)
        {
            return [];
        }

        HintSet hints;
        try
        {
            hints = HintSet.ParseJson(Encoding.UTF8.GetBytes(text));
        }
        catch (HintException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "hints: " + e.Message);
        }

        try
        {
            return hints.For(width, height);
        }
        catch (HintException e)
        {
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, "hints: " + e.Message);
        }
    }

    public static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static ApiException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the upload is larger than this server's limit of {ServeCommand.Megabytes(maxBytes)} MB (colorize serve --max-upload-mb)");

    /// <summary>Reads a form part into memory; null when it is longer than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, long maxBytes, CancellationToken cancellationToken, int capacity = 0)
    {
        using var buffer = new MemoryStream(capacity);
        byte[] chunk = new byte[81920];
        while (true)
        {
            int read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }
    }
}

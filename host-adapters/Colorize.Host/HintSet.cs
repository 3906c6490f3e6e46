using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Abstractions;

namespace Colorize.Host;

/// <summary>
/// A hint the user gave that cannot be used: a malformed <c>--hint</c> or hints file, or a hint outside the image. The
/// message is one line that names the hint; the hosts report it as a usage error (exit 2, HTTP 400/422).
/// </summary>
internal sealed class HintException(string message) : Exception(message);

/// <summary>
/// Colour hints as the user gave them (<c>--hint</c>, <c>--hints file.json</c>, the web UI's form field), before they
/// meet an image: positions and radii in the pixels of the photo they were made on, and that photo's size when known.
/// <see cref="For"/> turns them into the <see cref="ColorHint"/>s of one image. The JSON form (README, "Colour hints")
/// is what the web UI exports and imports:
/// <code>{"version": 1, "width": 1200, "height": 800, "hints": [{"x": 412.5, "y": 300, "color": "#b02020", "radius": 6}]}</code>
/// </summary>
internal sealed class HintSet
{
    /// <summary>The only version of the file format so far.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest hints file read: 1024 hints take under 100 KB, so anything near this is not a hints file.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>How far a file's aspect ratio may be from the image's and still be scaled to it (1 %: rounding of a resize).</summary>
    public const double AspectTolerance = 0.01;

    public static HintSet Empty { get; } = new([], null, null);

    private HintSet(IReadOnlyList<ColorHint> hints, int? width, int? height)
    {
        Hints = hints;
        Width = width;
        Height = height;
    }

    /// <summary>The hints, in the pixels of a <see cref="Width"/> × <see cref="Height"/> photo, or of each image when that is unknown.</summary>
    public IReadOnlyList<ColorHint> Hints { get; }

    /// <summary>The width of the photo the hints were made on, when the file says so.</summary>
    public int? Width { get; }

    /// <summary>The height of the photo the hints were made on, when the file says so.</summary>
    public int? Height { get; }

    public int Count => Hints.Count;

    /// <summary>
    /// Parses one <c>--hint x,y,#rrggbb[,radius]</c>: a position in the image's pixels, an sRGB colour and an optional
    /// radius (default <see cref="ColorHint.DefaultRadius"/>).
    /// </summary>
    public static ColorHint ParseOption(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (3 or 4))
        {
            throw new HintException($"'{Clip(text)}' is not x,y,#rrggbb[,radius] (e.g. 120,80,#b02020,6)");
        }

        double x = Number(parts[0], "x", text);
        double y = Number(parts[1], "y", text);
        var (r, g, b) = ParseColor(parts[2]) ?? throw new HintException($"'{Clip(parts[2])}' in '{Clip(text)}' is not a colour #rrggbb");
        double radius = parts.Length == 4 ? Number(parts[3], "radius", text) : ColorHint.DefaultRadius;
        return Checked(new ColorHint(x, y, r, g, b, radius), $"'{Clip(text)}'");
    }

    /// <summary>Parses the JSON hints format; every problem is a <see cref="HintException"/> naming where it is.</summary>
    public static HintSet ParseJson(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxFileBytes)
        {
            throw new HintException($"the hints are {utf8.Length} bytes, more than the {MaxFileBytes} a hints file may have");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new HintException($"not valid JSON: {e.Message}");
        }

        try
        {
            return FromJson(root);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            // A repeated property name or a value of an unexpected kind, found as the tree is read.
            throw new HintException($"malformed hints: {e.Message}");
        }
    }

    private static HintSet FromJson(JsonNode? root)
    {
        if (root is not JsonObject file)
        {
            throw new HintException("expected a JSON object {\"version\": 1, \"hints\": [...]}");
        }

        Allow(file, "the file", "version", "width", "height", "hints");
        if (file["version"] is not JsonValue v || !v.TryGetValue(out int version) || version != FormatVersion)
        {
            throw new HintException($"\"version\" must be {FormatVersion}, got {Show(file["version"])}");
        }

        int? width = Size(file, "width"), height = Size(file, "height");
        if (width.HasValue != height.HasValue)
        {
            throw new HintException("give both \"width\" and \"height\" (the photo the hints were made on) or neither");
        }

        if (file["hints"] is not JsonArray array)
        {
            throw new HintException($"\"hints\" must be an array, got {Show(file["hints"])}");
        }

        if (array.Count > ColorizeOptions.MaxHints)
        {
            throw new HintException($"{array.Count} hints, more than the {ColorizeOptions.MaxHints} a colorization takes");
        }

        var hints = new List<ColorHint>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            string where = $"hint {i + 1}";
            if (array[i] is not JsonObject item)
            {
                throw new HintException($"{where} must be an object {{\"x\", \"y\", \"color\", \"radius\"}}, got {Show(array[i])}");
            }

            Allow(item, where, "x", "y", "color", "radius");
            double x = JsonNumber(item, "x", where) ?? throw new HintException($"{where} has no \"x\"");
            double y = JsonNumber(item, "y", where) ?? throw new HintException($"{where} has no \"y\"");
            double radius = JsonNumber(item, "radius", where) ?? ColorHint.DefaultRadius;
            string color = item["color"] is JsonValue c && c.TryGetValue(out string? s) ? s : throw new HintException($"{where}: \"color\" must be a string #rrggbb, got {Show(item["color"])}");
            var (r, g, b) = ParseColor(color) ?? throw new HintException($"{where}: \"color\" '{Clip(color)}' is not a colour #rrggbb");
            hints.Add(Checked(new ColorHint(x, y, r, g, b, radius), where));
        }

        return new HintSet(hints, width, height);
    }

    /// <summary>Reads a hints file; a missing or unreadable file is a <see cref="HintException"/> too.</summary>
    public static HintSet ReadFile(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new HintException("no such file");
            }

            if (info.Length > MaxFileBytes)
            {
                throw new HintException($"the file is {info.Length} bytes, more than the {MaxFileBytes} a hints file may have");
            }

            return ParseJson(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HintException(e.Message);
        }
    }

    /// <summary>These hints followed by <paramref name="more"/> (the command line's, in each image's own pixels).</summary>
    public HintSet With(IReadOnlyList<ColorHint> more)
    {
        if (Count + more.Count > ColorizeOptions.MaxHints)
        {
            throw new HintException($"{Count + more.Count} hints, more than the {ColorizeOptions.MaxHints} a colorization takes");
        }

        return more.Count == 0 ? this : new HintSet([.. Hints, .. more], Width, Height);
    }

    /// <summary>
    /// The hints for a <paramref name="width"/> × <paramref name="height"/> image. Hints made on a photo of another
    /// size (the file's <c>width</c>/<c>height</c>) are scaled to this one when the aspect ratios agree within
    /// <see cref="AspectTolerance"/> (a resized copy), and refused otherwise (a crop or another photo: the positions
    /// would land on the wrong things). Every hint must then lie on a pixel of the image: 0 ≤ x &lt; width, 0 ≤ y &lt; height.
    /// </summary>
    /// <param name="width">The image's width in pixels.</param>
    /// <param name="height">The image's height in pixels.</param>
    /// <param name="extra">Hints in this image's own pixels, never scaled (the command line's <c>--hint</c>).</param>
    public IReadOnlyList<ColorHint> For(int width, int height, IReadOnlyList<ColorHint>? extra = null)
    {
        IEnumerable<ColorHint> scaled = Hints;
        if (Width is int w && Height is int h && (w != width || h != height))
        {
            double ratio = (double)w / h, target = (double)width / height;
            if (Math.Abs(ratio - target) > AspectTolerance * target)
            {
                throw new HintException($"the hints were made on a {w}x{h} photo; this one is {width}x{height}, another shape, so they cannot be scaled to it");
            }

            double sx = (double)width / w, sy = (double)height / h;
            scaled = Hints.Select(hint => hint with
            {
                // A position in [0, w) stays in [0, width) in exact arithmetic; the clamp keeps rounding from pushing it out.
                X = Math.Min(hint.X * sx, Math.BitDecrement((double)width)),
                Y = Math.Min(hint.Y * sy, Math.BitDecrement((double)height)),
                Radius = Math.Clamp(hint.Radius * (sx + sy) / 2, double.Epsilon, ColorHint.MaxRadius),
            });
        }

        var all = scaled.Concat(extra ?? []).ToList();
        for (int i = 0; i < all.Count; i++)
        {
            var hint = all[i];
            if (hint.X >= width || hint.Y >= height)
            {
                throw new HintException($"hint {i + 1} at ({Format(hint.X)}, {Format(hint.Y)}) is outside the {width}x{height} image");
            }
        }

        return all;
    }

    /// <summary>The JSON form of hints (<see cref="ParseJson"/> reads it back): what <c>--json</c> reports and the web UI exports.</summary>
    public static JsonArray ToJson(IEnumerable<ColorHint> hints) => new([.. hints.Select(h => (JsonNode)new JsonObject
    {
        ["x"] = Math.Round(h.X, 3),
        ["y"] = Math.Round(h.Y, 3),
        ["color"] = FormatColor(h),
        ["radius"] = Math.Round(h.Radius, 3),
    })]);

    public static string FormatColor(ColorHint hint) => $"#{hint.Red:x2}{hint.Green:x2}{hint.Blue:x2}";

    /// <summary>Parses <c>#rrggbb</c> (either case); null when it is not one.</summary>
    public static (byte R, byte G, byte B)? ParseColor(string text) =>
        text.Length == 7 && text[0] == '#' && uint.TryParse(text.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint rgb)
            ? ((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb)
            : null;

    private static ColorHint Checked(ColorHint hint, string where)
    {
        try
        {
            hint.Validate();
            return hint;
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new HintException(!(double.IsFinite(hint.X) && hint.X >= 0 && double.IsFinite(hint.Y) && hint.Y >= 0)
                ? $"{where}: the position ({Format(hint.X)}, {Format(hint.Y)}) must be at or right/below (0, 0)"
                : $"{where}: the radius {Format(hint.Radius)} must be above 0 and at most {ColorHint.MaxRadius} pixels");
        }
    }

    private static double Number(string text, string name, string whole) =>
        // No thousands separators and the invariant culture: "1,5" was already split as two values.
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new HintException($"{name} '{Clip(text)}' in '{Clip(whole)}' is not a number");

    private static double? JsonNumber(JsonObject item, string name, string where) => item[name] switch
    {
        null when !item.ContainsKey(name) => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) => d,
        var other => throw new HintException($"{where}: \"{name}\" must be a number, got {Show(other)}"),
    };

    private static int? Size(JsonObject file, string name)
    {
        if (!file.ContainsKey(name))
        {
            return null;
        }

        return file[name] is JsonValue v && v.TryGetValue(out int size) && size > 0
            ? size
            : throw new HintException($"\"{name}\" must be a whole number of pixels above 0, got {Show(file[name])}");
    }

    private static void Allow(JsonObject node, string where, params string[] names)
    {
        // Strict, so that a misspelt "raduis" or "colour" is an error instead of being silently ignored.
        if (node.Select(p => p.Key).FirstOrDefault(k => !names.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            throw new HintException($"{where} has an unknown property \"{Clip(unknown)}\" (allowed: {string.Join(", ", names)})");
        }
    }

    private static string Show(JsonNode? node) => node is null ? "nothing" : Clip(node.ToJsonString());

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// Checks a <c>manifest.json</c> against the rules of <c>schema/manifest.schema.json</c> (draft 2020-12) plus the
/// cross-field rules JSON Schema cannot state. A focused validator rather than a general JSON-schema engine: every
/// rule of the checked-in schema is written out here, and a test keeps the two in agreement.
/// </summary>
public static partial class PackManifestValidator
{
    private static Regex? s_identifier;
    private static Regex? s_version;
    private static Regex? s_sha256;
    private static Regex? s_filePath;

    /// <summary>The largest manifest accepted, in bytes (a real one is a few kilobytes).</summary>
    public const int MaxManifestBytes = 1 << 20;

    /// <summary>Deepest JSON nesting accepted (hyperparameters are shallow; this bounds hostile input).</summary>
    public const int MaxDepth = 16;

    /// <summary>Smallest <c>input.chromaGain</c> a manifest may give.</summary>
    public const double MinChromaGain = 0.25;

    /// <summary>Largest <c>input.chromaGain</c> a manifest may give.</summary>
    public const double MaxChromaGain = 4;

    /// <summary>The pattern of pack ids and architecture names (the schema's <c>$defs/identifier</c>).</summary>
    public const string IdentifierPattern = "^[a-z0-9][a-z0-9-]{0,63}$";

    /// <summary>The pattern of pack versions: semver without build metadata, each number at most nine digits.</summary>
    public const string VersionPattern =
        @"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$";

    /// <summary>The pattern of a lower-case hex SHA-256.</summary>
    public const string Sha256Pattern = "^[0-9a-f]{64}$";

    /// <summary>The pattern of a file path inside a pack (the schema's <c>$defs/filePath</c>).</summary>
    public const string FilePathPattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}){0,3}$";

    /// <summary>Storage types a weights file may declare.</summary>
    public static IReadOnlyList<string> WeightDTypes { get; } = ["F32", "F16", "BF16"];

    private static readonly string[] TopLevel =
        ["schema", "id", "version", "name", "description", "architecture", "input", "engine", "training", "metrics", "weights", "license", "files"];

    private static readonly string[] TopLevelRequired = ["schema", "id", "version", "name", "architecture", "input", "engine", "weights", "license"];

    private static readonly HashSet<string> WindowsDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>Whether <paramref name="id"/> is a valid pack id or architecture name.</summary>
    public static bool IsValidIdentifier(string? id) => id is not null && FullMatch(IdentifierRegex(), id);

    /// <summary>Whether <paramref name="version"/> is a valid pack version (semver, no build metadata).</summary>
    public static bool IsValidVersion(string? version) => version is not null && version.Length <= 64 && FullMatch(VersionRegex(), version);

    /// <summary>Whether <paramref name="sha256"/> is 64 lower-case hex digits.</summary>
    public static bool IsValidSha256(string? sha256) => sha256 is not null && FullMatch(Sha256Regex(), sha256);

    /// <summary>
    /// Whether <paramref name="path"/> may name a file inside a pack: relative, '/'-separated, at most four segments
    /// of letters, digits, '.', '_' and '-', no segment starting with '.', and no Windows device name.
    /// </summary>
    public static bool IsValidFilePath(string? path) =>
        path is not null && path.Length <= 255 && FullMatch(FilePathRegex(), path) && !path.Split('/').Any(IsWindowsDeviceName);

    /// <summary>
    /// Returns every rule <paramref name="utf8Json"/> breaks, as "path: reason" sentences; empty when the manifest is
    /// valid. Never throws for bad input.
    /// </summary>
    public static IReadOnlyList<string> Validate(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > MaxManifestBytes)
        {
            return [$"the manifest is {utf8Json.Length} bytes, more than the {MaxManifestBytes} allowed"];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            return [$"not valid JSON ({e.Message})"];
        }

        using (document)
        {
            var checker = new Checker();
            checker.CheckManifest(document.RootElement);
            return checker.Problems;
        }
    }

    /// <summary>
    /// Whether the whole of <paramref name="value"/> matches. .NET's '$' also matches before a final newline, which
    /// JSON Schema's ECMA-262 '$' does not: "abc\n" must not pass as an id (it would become a folder name).
    /// </summary>
    private static bool FullMatch(Regex regex, string value) => regex.Match(value) is { Success: true } m && m.Index == 0 && m.Length == value.Length;

    private static bool IsWindowsDeviceName(string segment)
    {
        int dot = segment.IndexOf('.', StringComparison.Ordinal);
        string stem = dot < 0 ? segment : segment[..dot];
        return WindowsDeviceNames.Contains(stem) || segment.EndsWith('.');
    }

    // Interpreted, not source-generated: a manifest is a handful of short strings, and every command reads one at
    // start-up, where compiling the generated matchers (the version pattern's alone is a large method) cost more than
    // the interpreter ever will here (issue 15 §4).
    private static Regex IdentifierRegex() => s_identifier ??= Interpreted(IdentifierPattern);

    private static Regex VersionRegex() => s_version ??= Interpreted(VersionPattern);

    private static Regex Sha256Regex() => s_sha256 ??= Interpreted(Sha256Pattern);

    private static Regex FilePathRegex() => s_filePath ??= Interpreted(FilePathPattern);

#pragma warning disable SYSLIB1045 // Deliberately interpreted (above).
    private static Regex Interpreted(string pattern) => new(pattern, RegexOptions.CultureInvariant);
#pragma warning restore SYSLIB1045

    /// <summary>Shortens attacker-controlled text quoted in a message.</summary>
    internal static string Clip(string text) => text.Length <= 80 ? text : text[..77] + "...";
}

using System.Globalization;
using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// A reference to a pack as users write it: <c>id</c> (any version), <c>id@1</c> (highest 1.x.y), <c>id@1.2</c>
/// (highest 1.2.x) or <c>id@1.2.3[-pre]</c> (exactly that version).
/// </summary>
public sealed record PackSpec
{
    private PackSpec(string id, int? major, int? minor, SemVer? exact)
    {
        (Id, Major, Minor, Exact) = (id, major, minor, exact);
    }

    /// <summary>The pack id.</summary>
    public string Id { get; }

    /// <summary>The required major version, or null for any.</summary>
    public int? Major { get; }

    /// <summary>The required minor version, or null for any.</summary>
    public int? Minor { get; }

    /// <summary>The exact version, or null when the spec is a prefix.</summary>
    public SemVer? Exact { get; }

    /// <summary>Parses a spec; throws <see cref="ModelPackException"/> with the reason when it is malformed.</summary>
    public static PackSpec Parse(string text) =>
        TryParse(text, out var spec, out var error) ? spec : throw new ModelPackException(error);

    /// <summary>Tries to parse a spec.</summary>
    public static bool TryParse(string? text, out PackSpec spec, out string error)
    {
        spec = new PackSpec("", null, null, null);
        error = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "An empty pack reference; write id, id@major.minor or id@major.minor.patch.";
            return false;
        }

        int at = text.IndexOf('@', StringComparison.Ordinal);
        string id = at < 0 ? text : text[..at];
        if (!PackManifestValidator.IsValidIdentifier(id))
        {
            error = $"'{PackManifestValidator.Clip(text)}' does not start with a pack id (lower-case letters, digits and dashes).";
            return false;
        }

        if (at < 0)
        {
            spec = new PackSpec(id, null, null, null);
            return true;
        }

        string version = text[(at + 1)..];
        if (PackManifestValidator.IsValidVersion(version))
        {
            spec = new PackSpec(id, null, null, SemVer.Parse(version));
            return true;
        }

        var parts = version.Split('.');
        if (parts.Length is 1 or 2 && parts.All(IsNumber))
        {
            int major = int.Parse(parts[0], CultureInfo.InvariantCulture);
            int? minor = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null;
            spec = new PackSpec(id, major, minor, null);
            return true;
        }

        error = $"'{PackManifestValidator.Clip(text)}': '{PackManifestValidator.Clip(version)}' is not a version; write {id}@1, {id}@1.2 or {id}@1.2.3.";
        return false;
    }

    /// <summary>Whether <paramref name="version"/> satisfies the spec.</summary>
    public bool Matches(SemVer version) =>
        Exact is { } exact ? version.CompareTo(exact) == 0
        : (Major is null || version.Major == Major) && (Minor is null || version.Minor == Minor);

    /// <summary>
    /// Picks the version to use among <paramref name="candidates"/>: the highest matching release, or — when only
    /// pre-releases match a prefix spec — the highest matching pre-release. Null when none matches.
    /// </summary>
    public SemVer? PickBest(IEnumerable<SemVer> candidates)
    {
        var matching = candidates.Where(Matches).ToList();
        if (matching.Count == 0)
        {
            return null;
        }

        var releases = matching.Where(v => v.PreRelease.Length == 0).ToList();
        return (releases.Count > 0 ? releases : matching).Max();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Exact is { } exact ? $"{Id}@{exact}"
        : Major is null ? Id
        : Minor is null ? $"{Id}@{Major}" : $"{Id}@{Major}.{Minor}";

    private static bool IsNumber(string part) =>
        part.Length is > 0 and <= 9 && part.All(char.IsAsciiDigit) && (part.Length == 1 || part[0] != '0');
}

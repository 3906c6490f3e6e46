using System.Globalization;

namespace Colorize.Abstractions.Packs;

/// <summary>A semantic version major.minor.patch with an optional pre-release tag (build metadata is ignored).</summary>
/// <param name="Major">Major version.</param>
/// <param name="Minor">Minor version.</param>
/// <param name="Patch">Patch version.</param>
/// <param name="PreRelease">Pre-release tag, or empty.</param>
public readonly record struct SemVer(int Major, int Minor, int Patch, string PreRelease = "") : IComparable<SemVer>
{
    /// <summary>Parses "1.2.3", "1.2.3-beta.1" or "1.2.3+build"; throws <see cref="FormatException"/> otherwise.</summary>
    public static SemVer Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a semantic version (major.minor.patch).");

    /// <summary>Tries to parse a semantic version.</summary>
    public static bool TryParse(string? text, out SemVer version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return false;
        }

        string core = text.Split('+')[0];
        string pre = "";
        int dash = core.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            pre = core[(dash + 1)..];
            core = core[..dash];
            if (pre.Length == 0 || !pre.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
            {
                return false;
            }
        }

        var parts = core.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var numbers = new int[3];
        for (int i = 0; i < 3; i++)
        {
            if (parts[i].Length == 0 || (parts[i].Length > 1 && parts[i][0] == '0')
                || !int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return false;
            }
        }

        version = new SemVer(numbers[0], numbers[1], numbers[2], pre);
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(SemVer other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        if (c == 0)
        {
            c = Patch.CompareTo(other.Patch);
        }

        if (c != 0)
        {
            return c;
        }

        // A release sorts after its pre-releases.
        if (PreRelease.Length == 0 || other.PreRelease.Length == 0)
        {
            return other.PreRelease.Length.CompareTo(PreRelease.Length) switch { 0 => 0, _ when PreRelease.Length == 0 => 1, _ => -1 };
        }

        return string.CompareOrdinal(PreRelease, other.PreRelease);
    }

    /// <summary>Less than.</summary>
    public static bool operator <(SemVer a, SemVer b) => a.CompareTo(b) < 0;

    /// <summary>Greater than.</summary>
    public static bool operator >(SemVer a, SemVer b) => a.CompareTo(b) > 0;

    /// <summary>Less than or equal.</summary>
    public static bool operator <=(SemVer a, SemVer b) => a.CompareTo(b) <= 0;

    /// <summary>Greater than or equal.</summary>
    public static bool operator >=(SemVer a, SemVer b) => a.CompareTo(b) >= 0;

    /// <inheritdoc/>
    public override string ToString() => PreRelease.Length == 0 ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";
}

/// <summary>
/// A version range: space-separated comparators that must all hold, e.g. "&gt;=0.1.0 &lt;2.0.0", or "*" for any.
/// Operators: &gt;=, &gt;, &lt;=, &lt;, = (or a bare version).
/// </summary>
public sealed class SemVerRange
{
    private readonly (string Op, SemVer Version)[] _comparators;

    private SemVerRange((string, SemVer)[] comparators)
    {
        _comparators = comparators;
    }

    /// <summary>Tries to parse a range.</summary>
    public static bool TryParse(string? text, out SemVerRange range)
    {
        range = new SemVerRange([]);
        if (string.IsNullOrWhiteSpace(text) || text.Length > 200)
        {
            return false;
        }

        if (text.Trim() == "*")
        {
            return true;
        }

        var list = new List<(string, SemVer)>();
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string op = token.StartsWith(">=", StringComparison.Ordinal) ? ">=" : token.StartsWith("<=", StringComparison.Ordinal) ? "<="
                : token.StartsWith('>') ? ">" : token.StartsWith('<') ? "<" : token.StartsWith('=') ? "=" : "";
            if (!SemVer.TryParse(token[op.Length..], out var v))
            {
                return false;
            }

            list.Add((op.Length == 0 ? "=" : op, v));
        }

        range = new SemVerRange([.. list]);
        return true;
    }

    /// <summary>Whether <paramref name="version"/> satisfies every comparator.</summary>
    public bool Contains(SemVer version) => _comparators.All(c => c.Op switch
    {
        ">=" => version >= c.Version,
        ">" => version > c.Version,
        "<=" => version <= c.Version,
        "<" => version < c.Version,
        _ => version.CompareTo(c.Version) == 0,
    });
}

namespace Colorize.Host;

/// <summary>The exit codes of the <c>colorize</c> contract (docs/DESIGN.md).</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;

    /// <summary>Some inputs failed; the others were still written.</summary>
    public const int SomeFailed = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    /// <summary>No usable pack or engine plugin.</summary>
    public const int NoPackOrPlugin = 3;
}

namespace Colorize.Abstractions;

/// <summary>
/// The version of the host–plugin contract. Plugins record the Colorize.Abstractions version they were built against;
/// the loader refuses a plugin whose major version differs from the host's, because types would not unify.
/// </summary>
public static class ContractInfo
{
    /// <summary>The contract's semantic major version; it changes only with breaking changes to this assembly.</summary>
    public const int MajorVersion = 1;

    /// <summary>The contract version as a <see cref="Version"/> (major.minor.0.0).</summary>
    public static Version Version { get; } = typeof(ContractInfo).Assembly.GetName().Version ?? new Version(MajorVersion, 0);
}

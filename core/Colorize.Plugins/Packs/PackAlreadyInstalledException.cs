using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// An install without <see cref="PackInstallOptions.Overwrite"/> met the same id and version already in the store;
/// the store is unchanged. Typed so that a host can name its own way to overwrite (<c>colorize packs install --overwrite</c>).
/// </summary>
public sealed class PackAlreadyInstalledException : ModelPackException
{
    /// <summary>Creates the exception for <paramref name="reference"/> installed in <paramref name="directory"/>.</summary>
    public PackAlreadyInstalledException(string reference, string directory)
        : base($"{reference} is already installed in {directory}; remove it first or install with overwrite.")
    {
        Reference = reference;
        Directory = directory;
    }

    /// <summary>The pack, <c>id@version</c>.</summary>
    public string Reference { get; }

    /// <summary>Where the installed copy is.</summary>
    public string Directory { get; }
}

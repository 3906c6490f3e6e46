using Colorize.Abstractions.Packs;

namespace Colorize.Plugins.Packs;

/// <summary>
/// What <see cref="PackStore.Install(string, PackInstallOptions?, CancellationToken)"/> reads a pack from: a
/// <c>.cpack</c> archive (<see cref="CpackArchive"/>) or an unpacked pack folder (<see cref="PackFolder"/>). Opening
/// checks the file set and the manifest; <see cref="ExtractTo"/> copies into the staging folder, checking sizes and
/// every sha256, so both kinds pass the same checks before anything reaches the store.
/// </summary>
internal interface IPackSource : IDisposable
{
    /// <summary>The validated manifest.</summary>
    PackManifest Manifest { get; }

    /// <summary>Copies every file into <paramref name="directory"/> (which must exist and be empty), checking sizes and hashes.</summary>
    void ExtractTo(string directory, CancellationToken cancellationToken);
}

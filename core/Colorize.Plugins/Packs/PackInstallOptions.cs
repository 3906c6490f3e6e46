using Colorize.Abstractions;

namespace Colorize.Plugins.Packs;

/// <summary>How <see cref="PackStore.Install(string, PackInstallOptions?, CancellationToken)"/> installs a pack.</summary>
public sealed record PackInstallOptions
{
    /// <summary>Replace an installed pack with the same id and version (otherwise that is an error).</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Engines to check the pack against: at least one must accept the manifest (architecture, engine range) and
    /// load the weights (names, shapes, dtypes, finite values) or the pack is refused. Null skips these checks; an
    /// empty list refuses every pack, since no engine could run it.
    /// </summary>
    public IEnumerable<IColorizerEngine>? Engines { get; init; }

    /// <summary>Receives each stage as it is reached, synchronously on the installing thread.</summary>
    public IProgress<PackInstallStage>? Progress { get; init; }
}

/// <summary>The stages of an install, in order.</summary>
public enum PackInstallStage
{
    /// <summary>The archive's directory and manifest passed their checks.</summary>
    ManifestRead,

    /// <summary>Every file is unpacked into the store's staging folder and its sha256 checked.</summary>
    Extracted,

    /// <summary>An engine accepted and loaded the pack (reported only when engines are given).</summary>
    EngineChecked,

    /// <summary>An older copy of the same id@version was moved aside (only when overwriting).</summary>
    ReplacingExisting,

    /// <summary>The pack is in place under <c>packs/&lt;id&gt;/&lt;version&gt;/</c>.</summary>
    Installed,
}

namespace Colorize.Plugins.Packs;

/// <summary>Where the pack store lives and what it accepts.</summary>
public sealed class PackStoreOptions
{
    /// <summary>The default pack id used when a host names no pack (the pack that ships with the product).</summary>
    public const string DefaultPackIdValue = "colorize-base";

    /// <summary>The Colorize home folder; null uses <see cref="ColorizeHome.Resolve"/> (<c>$COLORIZE_HOME</c> or the user data folder).</summary>
    public string? Home { get; set; }

    /// <summary>
    /// Read-only folders of packs shipped with the application, laid out like the store
    /// (<c>&lt;folder&gt;/&lt;id&gt;/&lt;version&gt;/</c>, or <c>&lt;folder&gt;/&lt;id&gt;/</c> with the manifest directly in it). They resolve like installed packs but cannot be removed.
    /// </summary>
    public IList<string> BundledFolders { get; } = [];

    /// <summary>Also use <c>packs/</c> beside the application (<see cref="AppContext.BaseDirectory"/>) as a bundled folder when it exists.</summary>
    public bool UseApplicationPacksFolder { get; set; } = true;

    /// <summary>The pack a null or empty reference resolves to.</summary>
    public string DefaultPackId { get; set; } = DefaultPackIdValue;

    /// <summary>Limits applied to every package installed.</summary>
    public PackLimits Limits { get; set; } = PackLimits.Default;

    /// <summary>How long an install or removal waits for another one to finish.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

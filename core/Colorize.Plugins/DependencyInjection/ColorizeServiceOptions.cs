using Colorize.Abstractions;
using Colorize.Plugins.Packs;

namespace Colorize.Plugins;

/// <summary>What <c>services.AddColorize(...)</c> sets up: where plugins and packs are, and what is shared.</summary>
public sealed class ColorizeServiceOptions
{
    /// <summary>Folders holding plugin folders (<c>&lt;folder&gt;/&lt;name&gt;/&lt;name&gt;.dll</c>).</summary>
    public IList<string> PluginFolders { get; } = [];

    /// <summary>Also search <c>plugins/</c> beside the application (default true).</summary>
    public bool UseApplicationPluginsFolder { get; set; } = true;

    /// <summary>The Colorize home (the pack store lives in its <c>packs/</c>); null: <c>$COLORIZE_HOME</c> or the user data folder.</summary>
    public string? ColorizeHome { get; set; }

    /// <summary>Read-only folders of bundled packs, besides <c>packs/</c> beside the application.</summary>
    public IList<string> BundledPackFolders { get; } = [];

    /// <summary>Also use <c>packs/</c> beside the application as a bundled folder (default true).</summary>
    public bool UseApplicationPacksFolder { get; set; } = true;

    /// <summary>The pack used when none is named.</summary>
    public string DefaultPackId { get; set; } = PackStoreOptions.DefaultPackIdValue;

    /// <summary>Further assemblies plugins take from the host (Colorize.Abstractions always is).</summary>
    public IList<string> SharedAssemblies { get; } = [];

    /// <summary>Engines the host provides itself (listed before plugin engines), e.g. a trainer referencing the engine directly.</summary>
    public IList<IColorizerEngine> Engines { get; } = [];

    /// <summary>Limits for installed packages.</summary>
    public PackLimits PackLimits { get; set; } = PackLimits.Default;
}

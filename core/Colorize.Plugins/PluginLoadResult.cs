namespace Colorize.Plugins;

/// <summary>Why a plugin did not load.</summary>
public enum PluginLoadFailure
{
    /// <summary>It loaded.</summary>
    None,

    /// <summary>The folder lacks <c>&lt;name&gt;.dll</c> or <c>&lt;name&gt;.deps.json</c>.</summary>
    MissingFiles,

    /// <summary>The main file is not a .NET assembly, or is damaged.</summary>
    BadAssembly,

    /// <summary>The assembly does not reference Colorize.Abstractions, so it cannot hold an engine.</summary>
    NotAnEnginePlugin,

    /// <summary>It was built against a Colorize.Abstractions this host cannot provide (another major, or a newer minor).</summary>
    IncompatibleContract,

    /// <summary>One of its dependencies could not be found or loaded.</summary>
    MissingDependency,

    /// <summary>It has no public, non-abstract engine class with a public parameterless constructor.</summary>
    NoEngines,

    /// <summary>An engine's constructor or properties threw.</summary>
    EngineFailed,

    /// <summary>A plugin of that name, or an engine with the same id, is already loaded.</summary>
    Duplicate,
}

/// <summary>The outcome of loading one plugin folder: the handle on success, the reason otherwise.</summary>
/// <param name="Name">The plugin's name (its folder name).</param>
/// <param name="Directory">The plugin's folder.</param>
/// <param name="Failure">Why it failed, or <see cref="PluginLoadFailure.None"/>.</param>
/// <param name="Error">A sentence saying what went wrong; null on success.</param>
/// <param name="Plugin">The loaded plugin; null on failure.</param>
/// <param name="Exception">The underlying exception, when there was one.</param>
public sealed record PluginLoadResult(string Name, string Directory, PluginLoadFailure Failure, string? Error, PluginHandle? Plugin, Exception? Exception = null)
{
    /// <summary>True when the plugin loaded.</summary>
    public bool Succeeded => Plugin is not null;

    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"{Name}: loaded ({Plugin!.Engines.Count} engine(s))" : $"{Name}: {Error}";
}

using System.Reflection;
using System.Runtime.Loader;
using Colorize.Abstractions;

namespace Colorize.Plugins;

/// <summary>A loaded plugin: its engines and its load context, which <see cref="Unload"/> releases.</summary>
public sealed class PluginHandle
{
    private readonly Lock _gate = new();
    private readonly Action<PluginHandle>? _onUnload;
    private AssemblyLoadContext? _context;
    private Assembly? _assembly;
    private IReadOnlyList<IColorizerEngine> _engines;

    internal PluginHandle(string name, string directory, string assemblyPath, Version contractVersion, AssemblyLoadContext context, Assembly assembly, IReadOnlyList<IColorizerEngine> engines, Action<PluginHandle>? onUnload)
    {
        (Name, Directory, AssemblyPath, ContractVersion) = (name, directory, assemblyPath, contractVersion);
        (_context, _assembly, _engines, _onUnload) = (context, assembly, engines, onUnload);
        AssemblyName = assembly.GetName();
    }

    /// <summary>The plugin's name (its folder and main assembly name).</summary>
    public string Name { get; }

    /// <summary>The plugin's folder.</summary>
    public string Directory { get; }

    /// <summary>The main assembly's path.</summary>
    public string AssemblyPath { get; }

    /// <summary>The main assembly's name and version.</summary>
    public AssemblyName AssemblyName { get; }

    /// <summary>The Colorize.Abstractions version the plugin was built against.</summary>
    public Version ContractVersion { get; }

    /// <summary>True until <see cref="Unload"/>.</summary>
    public bool IsLoaded => _context is not null;

    /// <summary>The engines the plugin provides; empty after <see cref="Unload"/>.</summary>
    public IReadOnlyList<IColorizerEngine> Engines => _engines;

    /// <summary>The plugin's main assembly; null after <see cref="Unload"/>.</summary>
    public Assembly? Assembly => _assembly;

    /// <summary>The plugin's load context; null after <see cref="Unload"/>. Keep only weak references to it.</summary>
    public AssemblyLoadContext? LoadContext => _context;

    /// <summary>
    /// Drops the plugin's engines (disposing those that are <see cref="IDisposable"/>) and starts unloading its
    /// context. The memory is reclaimed once nothing references the plugin's types or objects any more — colorizers
    /// created by its engines included — so drop those first. Idempotent.
    /// </summary>
    public void Unload()
    {
        AssemblyLoadContext? context;
        IReadOnlyList<IColorizerEngine> engines;
        lock (_gate)
        {
            (context, engines) = (_context, _engines);
            (_context, _assembly, _engines) = (null, null, []);
        }

        if (context is null)
        {
            return;
        }

        foreach (var engine in engines.OfType<IDisposable>())
        {
            try
            {
                engine.Dispose();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A plugin's failure while shutting down must not stop the host from unloading it.
            }
        }

        _onUnload?.Invoke(this);
        if (context.IsCollectible)
        {
            context.Unload();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({AssemblyName.Version})";
}

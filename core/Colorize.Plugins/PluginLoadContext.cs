using System.Reflection;
using System.Runtime.Loader;

namespace Colorize.Plugins;

/// <summary>
/// The load context of one plugin: private dependencies (managed and native) come from the plugin's folder through
/// its <c>.deps.json</c>; shared assemblies (Colorize.Abstractions and those the host names) come from the context
/// that loaded Colorize.Plugins, so interface types unify; everything else (the BCL) falls back to the default context.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly HashSet<string> _shared;
    private readonly AssemblyLoadContext _hostContext;

    public PluginLoadContext(string name, string mainAssemblyPath, IEnumerable<string> sharedAssemblies, bool isCollectible)
        : base($"Colorize plugin '{name}'", isCollectible)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _shared = new HashSet<string>(sharedAssemblies, StringComparer.OrdinalIgnoreCase);
        // In Paint.NET the host itself lives in a plugin context, not the default one: share from where we are.
        _hostContext = GetLoadContext(typeof(PluginLoadContext).Assembly) ?? Default;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } simpleName && _shared.Contains(simpleName))
        {
            return _hostContext.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase))
                ?? _hostContext.LoadFromAssemblyName(assemblyName);
        }

        // A private dependency listed in the plugin's deps.json loads from its folder; null defers to the default
        // context, which holds the framework.
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}

using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Colorize.Abstractions;

namespace Colorize.Plugins;

/// <summary>What the loader shares with plugins and how it loads them.</summary>
public sealed class PluginLoaderOptions
{
    /// <summary>The contract assembly, always shared so <see cref="IColorizerEngine"/> is one type for host and plugins.</summary>
    public const string ContractAssemblyName = "Colorize.Abstractions";

    /// <summary>
    /// Simple names of further assemblies the plugins take from the host instead of their own folder (types passed
    /// across the boundary must come from one copy). Colorize.Abstractions is always shared.
    /// </summary>
    public IList<string> SharedAssemblies { get; } = [];

    /// <summary>Load plugins into collectible contexts so <see cref="PluginHandle.Unload"/> can reclaim them (default true).</summary>
    public bool Collectible { get; set; } = true;
}

/// <summary>
/// Finds engine plugins in plugin folders (<c>plugins/&lt;name&gt;/&lt;name&gt;.dll</c> with <c>&lt;name&gt;.deps.json</c>)
/// and loads each into its own <see cref="System.Runtime.Loader.AssemblyLoadContext"/>. Before any plugin code runs,
/// the main assembly's metadata is read to refuse one built against an incompatible Colorize.Abstractions. A plugin
/// that fails is reported in its <see cref="PluginLoadResult"/> and the others keep working. Thread-safe.
/// </summary>
public sealed class PluginLoader : IDisposable
{
    private readonly PluginLoaderOptions _options;
    private readonly Lock _gate = new();
    private readonly List<PluginHandle> _plugins = [];
    private readonly List<PluginLoadResult> _results = [];

    /// <summary>Creates a loader; nothing is loaded until <see cref="LoadAll"/> or <see cref="Load"/>.</summary>
    public PluginLoader(PluginLoaderOptions? options = null)
    {
        _options = options ?? new PluginLoaderOptions();
    }

    /// <summary>The Colorize.Abstractions version this host provides.</summary>
    public static Version HostContractVersion { get; } = typeof(IColorizerEngine).Assembly.GetName().Version ?? new Version(ContractInfo.MajorVersion, 0, 0, 0);

    /// <summary>The plugins currently loaded.</summary>
    public IReadOnlyList<PluginHandle> Plugins
    {
        get
        {
            lock (_gate)
            {
                return [.. _plugins];
            }
        }
    }

    /// <summary>Every load attempt so far, successful or not, in order.</summary>
    public IReadOnlyList<PluginLoadResult> Results
    {
        get
        {
            lock (_gate)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>The engines of every loaded plugin, in load order.</summary>
    public IReadOnlyList<IColorizerEngine> Engines
    {
        get
        {
            lock (_gate)
            {
                return [.. _plugins.SelectMany(p => p.Engines)];
            }
        }
    }

    /// <summary>
    /// The plugin folders under <paramref name="pluginFolders"/>: every direct subfolder, in ordinal name order per
    /// root. Roots that do not exist are skipped.
    /// </summary>
    public static IReadOnlyList<string> Discover(IEnumerable<string> pluginFolders)
    {
        var found = new List<string>();
        foreach (var root in pluginFolders)
        {
            if (Directory.Exists(root))
            {
                found.AddRange(Directory.GetDirectories(Path.GetFullPath(root)).Order(StringComparer.Ordinal));
            }
        }

        return found;
    }

    /// <summary>Loads every plugin found by <see cref="Discover"/>; returns one result per plugin folder.</summary>
    public IReadOnlyList<PluginLoadResult> LoadAll(IEnumerable<string> pluginFolders) => [.. Discover(pluginFolders).Select(Load)];

    /// <summary>Loads the plugin in <paramref name="pluginDirectory"/> (<c>&lt;name&gt;/&lt;name&gt;.dll</c>). Never throws for a bad plugin.</summary>
    public PluginLoadResult Load(string pluginDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginDirectory);
        string directory = Path.GetFullPath(pluginDirectory);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        PluginLoadResult result;
        try
        {
            result = LoadCore(name, directory);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a plugin does, the host keeps running: report it.
            result = Fail(name, directory, PluginLoadFailure.EngineFailed, $"failed to load: {e.GetType().Name}: {e.Message}", e);
        }

        lock (_gate)
        {
            _results.Add(result);
        }

        return result;
    }

    /// <summary>Unloads every plugin.</summary>
    public void Dispose()
    {
        foreach (var plugin in Plugins)
        {
            plugin.Unload();
        }
    }

    /// <summary>
    /// Reads which Colorize.Abstractions version an assembly references, from its metadata alone (no code runs).
    /// Null when it references none.
    /// </summary>
    /// <exception cref="BadImageFormatException">The file is not a .NET assembly.</exception>
    public static Version? ReadContractReference(string assemblyPath)
    {
        using var stream = new FileStream(assemblyPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new BadImageFormatException("The file has no .NET metadata (a native library?).");
        }

        var metadata = pe.GetMetadataReader();
        if (!metadata.IsAssembly)
        {
            throw new BadImageFormatException("The file is a .NET module, not an assembly.");
        }

        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            if (metadata.StringComparer.Equals(reference.Name, PluginLoaderOptions.ContractAssemblyName, ignoreCase: true))
            {
                return reference.Version;
            }
        }

        return null;
    }

    private PluginLoadResult LoadCore(string name, string directory)
    {
        string assemblyPath = Path.Combine(directory, name + ".dll");
        string depsPath = Path.Combine(directory, name + ".deps.json");
        if (!File.Exists(assemblyPath))
        {
            return Fail(name, directory, PluginLoadFailure.MissingFiles, $"the folder has no {name}.dll (a plugin folder holds <name>.dll and <name>.deps.json)");
        }

        if (!File.Exists(depsPath))
        {
            return Fail(name, directory, PluginLoadFailure.MissingFiles, $"the folder has no {name}.deps.json, which lists the plugin's dependencies");
        }

        lock (_gate)
        {
            if (_plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { } other)
            {
                return Fail(name, directory, PluginLoadFailure.Duplicate, $"a plugin named '{name}' is already loaded from {other.Directory}");
            }
        }

        Version? contract;
        try
        {
            contract = ReadContractReference(assemblyPath);
        }
        catch (BadImageFormatException e)
        {
            return Fail(name, directory, PluginLoadFailure.BadAssembly, $"{name}.dll is not a valid .NET assembly ({e.Message})", e);
        }

        if (contract is null)
        {
            return Fail(name, directory, PluginLoadFailure.NotAnEnginePlugin, $"{name}.dll does not reference {PluginLoaderOptions.ContractAssemblyName}, so it cannot provide an engine");
        }

        var host = HostContractVersion;
        if (contract.Major != host.Major)
        {
            return Fail(name, directory, PluginLoadFailure.IncompatibleContract,
                $"built against {PluginLoaderOptions.ContractAssemblyName} {contract} (contract {contract.Major}); this host provides {host} (contract {host.Major}); use a build of the plugin for contract {host.Major}");
        }

        if (contract > host)
        {
            return Fail(name, directory, PluginLoadFailure.IncompatibleContract,
                $"needs {PluginLoaderOptions.ContractAssemblyName} {contract} or later; this host provides {host}; update the host");
        }

        var shared = _options.SharedAssemblies.Append(PluginLoaderOptions.ContractAssemblyName);
        PluginLoadContext context;
        try
        {
            context = new PluginLoadContext(name, assemblyPath, shared, _options.Collectible);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
        {
            // AssemblyDependencyResolver reports a deps.json it cannot use this way.
            return Fail(name, directory, PluginLoadFailure.MissingFiles, $"{name}.deps.json cannot be used to resolve its dependencies ({e.Message})", e);
        }

        try
        {
            var (failure, error, exception, assembly, engines) = CreateEngines(context, assemblyPath, name);
            if (failure != PluginLoadFailure.None)
            {
                Unload(context);
                return Fail(name, directory, failure, error!, exception);
            }

            lock (_gate)
            {
                var ids = _plugins.SelectMany(p => p.Engines.Select(e => (Engine: e.Id, Plugin: p.Name))).ToList();
                if (engines.Select(e => e.Id).FirstOrDefault(id => ids.Any(i => i.Engine == id)) is { } duplicate)
                {
                    Unload(context);
                    return Fail(name, directory, PluginLoadFailure.Duplicate, $"engine '{duplicate}' is already provided by plugin '{ids.First(i => i.Engine == duplicate).Plugin}'");
                }

                var handle = new PluginHandle(name, directory, assemblyPath, contract, context, assembly!, engines, OnUnloaded);
                _plugins.Add(handle);
                return new PluginLoadResult(name, directory, PluginLoadFailure.None, null, handle);
            }
        }
        catch
        {
            Unload(context);
            throw;
        }
    }

    private static (PluginLoadFailure, string?, Exception?, Assembly?, IReadOnlyList<IColorizerEngine>) CreateEngines(PluginLoadContext context, string assemblyPath, string name)
    {
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(assemblyPath);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            return (PluginLoadFailure.BadAssembly, $"{name}.dll cannot be loaded ({e.Message})", e, null, []);
        }

        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or ReflectionTypeLoadException or TypeLoadException)
        {
            return (PluginLoadFailure.MissingDependency, $"a dependency is missing or broken: {DescribeLoadFailure(e)}", e, null, []);
        }

        var candidates = types
            .Where(t => t.IsClass && !t.IsAbstract && !t.ContainsGenericParameters && typeof(IColorizerEngine).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
        if (candidates.Count == 0)
        {
            // The classic symptom of a plugin that brought its own copy of the contracts: its engine implements *a*
            // IColorizerEngine, just not the host's.
            bool foreign = types.Any(t => t.GetInterfaces().Any(i => i.FullName == typeof(IColorizerEngine).FullName));
            return (PluginLoadFailure.NoEngines, foreign
                ? $"{name}.dll implements IColorizerEngine from another copy of {PluginLoaderOptions.ContractAssemblyName}, so the types do not unify"
                : $"{name}.dll has no public, non-abstract class implementing IColorizerEngine", null, null, []);
        }

        var engines = new List<IColorizerEngine>();
        foreach (var type in candidates)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                return (PluginLoadFailure.NoEngines, $"engine {type.FullName} has no public parameterless constructor", null, null, []);
            }

            try
            {
                var engine = (IColorizerEngine)Activator.CreateInstance(type)!;
                // Read what the host will read, so a plugin that throws from its properties fails here, reported.
                _ = (engine.Id, engine.Version, engine.Architectures.Count);
                if (string.IsNullOrWhiteSpace(engine.Id))
                {
                    return (PluginLoadFailure.EngineFailed, $"engine {type.FullName} has an empty Id", null, null, []);
                }

                engines.Add(engine);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                bool dependency = cause is FileNotFoundException or FileLoadException or TypeLoadException;
                return (dependency ? PluginLoadFailure.MissingDependency : PluginLoadFailure.EngineFailed,
                    dependency
                        ? $"engine {type.FullName} needs a dependency that is missing or broken: {DescribeLoadFailure(cause)}"
                        : $"engine {type.FullName} threw while being created: {cause.GetType().Name}: {cause.Message}",
                    cause, null, []);
            }
        }

        return (PluginLoadFailure.None, null, null, assembly, engines);
    }

    private static string DescribeLoadFailure(Exception e) => e switch
    {
        ReflectionTypeLoadException r => string.Join("; ", r.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct().Take(3)),
        FileNotFoundException f when f.FileName is not null => $"{f.FileName} was not found",
        _ => e.Message,
    };

    private static void Unload(PluginLoadContext context)
    {
        if (context.IsCollectible)
        {
            context.Unload();
        }
    }

    private static PluginLoadResult Fail(string name, string directory, PluginLoadFailure failure, string error, Exception? exception = null) =>
        new(name, directory, failure, $"plugin '{name}' was not loaded: {error.TrimEnd('.')}.", null, exception);

    private void OnUnloaded(PluginHandle handle)
    {
        lock (_gate)
        {
            _plugins.Remove(handle);
        }
    }
}

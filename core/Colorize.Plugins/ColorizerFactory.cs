using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;

namespace Colorize.Plugins;

/// <summary>Turns a pack reference into a ready colorizer: resolve the pack in the store, pick an engine, load.</summary>
public sealed class ColorizerFactory
{
    private readonly PackStore _store;
    private readonly IReadOnlyList<IColorizerEngine> _engines;

    /// <summary>Creates the factory over a store and the available engines.</summary>
    public ColorizerFactory(PackStore store, IEnumerable<IColorizerEngine> engines)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(engines);
        _store = store;
        _engines = [.. engines];
    }

    /// <summary>The engines the factory chooses from.</summary>
    public IReadOnlyList<IColorizerEngine> Engines => _engines;

    /// <summary>Resolves <paramref name="packSpec"/> (null: the default pack) and loads it with the first engine that accepts it.</summary>
    /// <exception cref="ModelPackException">No pack matches, no engine can run it, or loading fails; the message says which.</exception>
    public IColorizer Create(string? packSpec = null) => Create(_store.Resolve(packSpec));

    /// <summary>Loads <paramref name="pack"/> with the first engine that accepts it.</summary>
    /// <exception cref="ModelPackException">No engine can run it, or loading fails.</exception>
    public IColorizer Create(IModelPackContent pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        return SelectEngine(_engines, pack.Manifest).Load(pack);
    }

    /// <summary>The first engine whose <see cref="IColorizerEngine.CheckCompatibility"/> accepts <paramref name="manifest"/>.</summary>
    /// <exception cref="ModelPackException">None does; the message gives each engine's reason.</exception>
    public static IColorizerEngine SelectEngine(IEnumerable<IColorizerEngine> engines, PackManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(manifest);
        var reasons = new List<string>();
        foreach (var engine in engines)
        {
            var compatibility = engine.CheckCompatibility(manifest);
            if (compatibility.IsCompatible)
            {
                return engine;
            }

            reasons.Add($"{engine.Id} {engine.Version}: {compatibility.Reason}");
        }

        string pack = $"{manifest.Id}@{manifest.Version}";
        throw new ModelPackException(reasons.Count == 0
            ? $"No colorization engine is loaded to run {pack}; install an engine plugin."
            : $"No loaded engine can run {pack} — {string.Join("; ", reasons)}.");
    }
}

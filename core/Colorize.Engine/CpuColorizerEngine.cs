using System.Reflection;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;

namespace Colorize.Engine;

/// <summary>
/// The managed CPU engine: runs every generator architecture of <see cref="ArchitectureRegistry"/> on the
/// Colorize tensor engine (SIMD, multi-threaded, no native dependency).
/// </summary>
public sealed class CpuColorizerEngine : IColorizerEngine
{
    /// <summary>The engine's identifier.</summary>
    public const string EngineId = "colorize-cpu";

    /// <inheritdoc/>
    public string Id => EngineId;

    /// <inheritdoc/>
    public Version Version { get; } = typeof(CpuColorizerEngine).Assembly.GetName().Version ?? new Version(0, 0);

    /// <inheritdoc/>
    public IReadOnlyList<ArchitectureInfo> Architectures { get; } =
        [.. ArchitectureRegistry.All.Where(a => a.Role == ArchitectureRole.Generator).Select(a => a.Info)];

    /// <summary>The engine version as semver text (informational version without build metadata).</summary>
    public string SemanticVersion { get; } =
        (typeof(CpuColorizerEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <inheritdoc/>
    public PackCompatibility CheckCompatibility(PackManifest manifest)
    {
        var arch = ArchitectureRegistry.Find(manifest.Architecture.Name, manifest.Architecture.Version);
        if (arch is null)
        {
            return PackCompatibility.No($"architecture '{manifest.Architecture.Name}' v{manifest.Architecture.Version} is not one this engine runs");
        }

        if (arch.Role != ArchitectureRole.Generator)
        {
            return PackCompatibility.No($"'{manifest.Architecture.Name}' is a discriminator, not a colorization model");
        }

        // input.hints must say what the network takes: hosts offer hints from the manifest, the pipeline feeds the planes
        // from the architecture. Only the hyperparameter's presence as true is read here; Build checks its type.
        bool architectureHints = manifest.Architecture.Hyperparameters is { } hp && hp.TryGetValue("hints", out var h) && h.ValueKind == JsonValueKind.True;
        if (architectureHints != manifest.Input.Hints)
        {
            return PackCompatibility.No(CpuColorizer.HintMismatch(manifest.Input.Hints));
        }

        if (!SemVerRange.TryParse(manifest.Engine.Range, out var range))
        {
            return PackCompatibility.No($"engine range '{manifest.Engine.Range}' is not a valid version range");
        }

        if (!range.Contains(SemVer.Parse(SemanticVersion)))
        {
            return PackCompatibility.No($"the pack needs engine {manifest.Engine.Range}, this is {SemanticVersion}");
        }

        return PackCompatibility.Yes;
    }

    /// <inheritdoc/>
    public IColorizer Load(IModelPackContent pack)
    {
        var compatibility = CheckCompatibility(pack.Manifest);
        if (!compatibility.IsCompatible)
        {
            throw new ModelPackException($"Pack '{pack.Manifest.Id}' cannot run on this engine: {compatibility.Reason}.");
        }

        return CpuColorizer.Create(pack);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host;

/// <summary>The <c>packs</c> and <c>plugins</c> verbs.</summary>
internal static class Commands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void WriteJson(CliContext context, JsonNode node) => context.Out.WriteLine(node.ToJsonString(Indented));

    public static int PluginsList(CliContext context, bool json)
    {
        using var services = ColorizeCli.CreateServices(context);
        var loader = services.GetRequiredService<PluginLoader>();
        var results = loader.Results;
        if (json)
        {
            WriteJson(context, new JsonObject
            {
                ["plugins"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Name,
                    ["directory"] = r.Directory,
                    ["loaded"] = r.Succeeded,
                    ["error"] = r.Error,
                    ["engines"] = new JsonArray([.. (r.Plugin?.Engines ?? []).Select(e => (JsonNode)new JsonObject
                    {
                        ["id"] = e.Id,
                        ["version"] = e.Version.ToString(),
                        ["architectures"] = new JsonArray([.. e.Architectures.Select(a => (JsonNode)JsonValue.Create($"{a.Name} v{a.Version}"))]),
                    })]),
                })]),
            });
        }
        else if (results.Count == 0)
        {
            context.Out.WriteLine("no plugins found (looked in plugins/ beside the app and in $COLORIZE_HOME/plugins)");
        }
        else
        {
            foreach (var r in results)
            {
                if (r.Plugin is { } plugin)
                {
                    foreach (var engine in plugin.Engines)
                    {
                        context.Out.WriteLine($"{r.Name}  engine {engine.Id} {engine.Version}  {string.Join(", ", engine.Architectures.Select(a => $"{a.Name} v{a.Version}"))}  ({r.Directory})");
                    }
                }
                else
                {
                    context.Out.WriteLine($"{r.Name}  not loaded: {r.Error}  ({r.Directory})");
                }
            }
        }

        foreach (var failed in results.Where(r => !r.Succeeded))
        {
            context.ReportError(failed.Directory, failed.Error ?? "failed to load");
        }

        return ExitCodes.Success;
    }

    public static int PacksList(CliContext context, bool json)
    {
        var store = new PackStore(new PackStoreOptions { Home = context.Home });
        var packs = store.List();

        // Several copies of the default id (versions, or the store's and the bundled one): mark the one it resolves to.
        string? defaultDirectory = store.TryResolve(null, out var resolved) ? resolved.Directory : null;
        if (json)
        {
            WriteJson(context, new JsonObject
            {
                ["packs"] = new JsonArray([.. packs.Select(p =>
                {
                    var node = PackJson(p);
                    node["default"] = p.Directory == defaultDirectory;
                    return (JsonNode)node;
                })]),
            });
        }
        else if (packs.Count == 0)
        {
            context.Out.WriteLine($"no packs installed in {store.PacksDirectory}; install one with: colorize packs install <file.cpack>");
        }
        else
        {
            foreach (var p in packs)
            {
                string isDefault = p.Directory == defaultDirectory ? "  (default)" : "";
                context.Out.WriteLine($"{p.Reference}  {p.Manifest.Name}  [{p.Manifest.Architecture.Name}, {p.Source.ToString().ToLowerInvariant()}]{isDefault}");
            }
        }

        return ExitCodes.Success;
    }

    public static int PacksInstall(CliContext context, string file, bool overwrite, bool json)
    {
        string path = context.FullPath(file);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            context.ReportError(file, "no such file or folder");
            return ExitCodes.SomeFailed;
        }

        // The loaded engines check that the pack can actually run before it is committed to the store.
        using var services = ColorizeCli.CreateServices(context);
        var store = services.GetRequiredService<PackStore>();
        var engines = services.GetRequiredService<IEnumerable<IColorizerEngine>>().ToList();
        try
        {
            var installed = store.Install(path, new PackInstallOptions { Engines = engines.Count > 0 ? engines : null, Overwrite = overwrite }, context.Cancellation);
            if (json)
            {
                WriteJson(context, new JsonObject { ["installed"] = PackJson(installed) });
            }
            else
            {
                context.Out.WriteLine($"installed {installed.Reference} into {installed.Directory}");
            }

            return ExitCodes.Success;
        }
        catch (PackAlreadyInstalledException e)
        {
            context.ReportError(file, $"{e.Reference} is already installed in {e.Directory}; use --overwrite to replace it");
            return ExitCodes.SomeFailed;
        }
        catch (Exception e) when (e is ModelPackException or IOException or UnauthorizedAccessException)
        {
            context.ReportError(file, e.Message);
            return ExitCodes.SomeFailed;
        }
    }

    public static int PacksRemove(CliContext context, string spec, bool json)
    {
        if (!PackSpec.TryParse(spec, out _, out string error))
        {
            context.ReportError(spec, error);
            return ExitCodes.Usage;
        }

        var store = new PackStore(new PackStoreOptions { Home = context.Home });
        try
        {
            var removed = store.Remove(spec);
            if (json)
            {
                WriteJson(context, new JsonObject { ["removed"] = new JsonArray([.. removed.Select(r => (JsonNode)JsonValue.Create(r))]) });
            }
            else
            {
                foreach (string reference in removed)
                {
                    context.Out.WriteLine($"removed {reference}");
                }
            }

            return ExitCodes.Success;
        }
        catch (Exception e) when (e is ModelPackException or IOException or UnauthorizedAccessException)
        {
            context.ReportError(spec, e.Message);
            return ExitCodes.SomeFailed;
        }
    }

    public static int PacksVerify(CliContext context, string? spec, bool json)
    {
        if (spec is not null && !PackSpec.TryParse(spec, out _, out string error))
        {
            context.ReportError(spec, error);
            return ExitCodes.Usage;
        }

        var store = new PackStore(new PackStoreOptions { Home = context.Home });
        IReadOnlyList<PackVerification> results;
        try
        {
            results = store.Verify(spec);
        }
        catch (ModelPackException e)
        {
            context.ReportError(spec ?? store.PacksDirectory, e.Message);
            return ExitCodes.NoPackOrPlugin;
        }

        if (spec is not null && results.Count == 0)
        {
            context.ReportError(spec, "no installed pack matches");
            return ExitCodes.SomeFailed;
        }

        if (json)
        {
            WriteJson(context, new JsonObject
            {
                ["packs"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
                {
                    ["reference"] = r.Reference,
                    ["directory"] = r.Directory,
                    ["valid"] = r.IsValid,
                    ["problems"] = new JsonArray([.. r.Problems.Select(p => (JsonNode)JsonValue.Create(p))]),
                })]),
            });
        }
        else
        {
            foreach (var r in results.Where(r => r.IsValid))
            {
                context.Out.WriteLine($"ok {r.Reference}");
            }
        }

        foreach (var r in results)
        {
            foreach (string problem in r.Problems)
            {
                context.ReportError(r.Directory, $"{r.Reference}: {problem}");
            }
        }

        return results.All(r => r.IsValid) ? ExitCodes.Success : ExitCodes.SomeFailed;
    }

    private static JsonObject PackJson(InstalledPack p) => new()
    {
        ["id"] = p.Id,
        ["version"] = p.Version.ToString(),
        ["reference"] = p.Reference,
        ["name"] = p.Manifest.Name,
        ["architecture"] = p.Manifest.Architecture.Name,
        ["source"] = p.Source.ToString().ToLowerInvariant(),
        ["directory"] = p.Directory,
    };
}

using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Colorize.Host.Web;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host;

/// <summary>The <c>colorize</c> command line (docs/DESIGN.md, "The programs"): parsing, then one handler per verb.</summary>
internal static class ColorizeCli
{
    /// <summary>
    /// A numeric option whose parse error names what was expected in words (<c>error: --port: 'abc' is not a port
    /// number (…)</c>) instead of the library's default, which names the CLR type (System.Nullable`1[System.Int32]).
    /// </summary>
    private static Option<T?> NumberOption<T>(string name, string expected, string description, Func<T, bool>? valid = null)
        where T : struct, System.Numerics.INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            // No thousands separators: "1,5" from a decimal-comma locale must be an error, not 15.
            var style = typeof(T) == typeof(float) || typeof(T) == typeof(double) ? NumberStyles.Float : NumberStyles.Integer;
            if (T.TryParse(text, style, CultureInfo.InvariantCulture, out T value) && (valid is null || valid(value)))
            {
                return value;
            }

            result.AddError($"'{text}' is not {expected}");
            return null;
        },
    };

    /// <summary>The option a parse error is about (reported as the subject of its line), or null.</summary>
    private static string? OptionOf(ParseError error) => error.SymbolResult switch
    {
        OptionResult option => option.Option.Name,
        ArgumentResult { Parent: OptionResult option } => option.Option.Name,
        _ => null,
    };

    /// <summary>Runs the command and returns its exit code; never throws for bad input or a failed image.</summary>
    public static int Run(string[] args, CliContext context)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Image files, folders or globs to colorize.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "The output file (one input) or folder (default ./colorized)." };
        var pack = new Option<string?>("--pack") { Description = "The model pack, id[@version] (default: the default pack)." };
        var renderSize = NumberOption<int>("--render-size", "a whole number", "The short side, in pixels, the model sees (16..8192; default: the pack's).");
        var strength = NumberOption<float>("--strength", "a number", "Colour strength, 0..2 (default 1).");
        var threads = NumberOption<int>("--threads", "a whole number", "Threads for inference and PNG and JPEG encoding (default: all cores).");
        var keepLuminance = new Option<bool?>("--keep-luminance")
        {
            Description = "true (default): bring too-strong colours into gamut by lowering their chroma, keeping each pixel's lightness; false: clip per channel.",
            Arity = ArgumentArity.ExactlyOne,
            HelpName = "true|false",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace output files that already exist (inputs are never replaced)." };
        var allowTruncated = new Option<bool>("--allow-truncated")
        {
            Description = "Colorize the part of a truncated or damaged image that decodes (with a warning) instead of refusing it.",
        };
        var pngCompression = new Option<string?>("--png-compression")
        {
            Description = "PNG outputs: fast (zlib level 1), default (level 3: within a few percent of level 6's size, in half its time or less) or max (level 9), or a zlib level 0-9.",
            HelpName = "fast|default|max|0-9",
        };
        var hint = new Option<string[]>("--hint")
        {
            Description = "A colour hint: the area around x,y (pixels of each input) is coloured #rrggbb; radius in pixels (default 4). Repeatable.",
            HelpName = "x,y,#rrggbb[,radius]",
            // One value per --hint, so that an input after it is not taken for a second hint.
            AllowMultipleArgumentsPerToken = false,
        };
        var hintsFile = new Option<string?>("--hints") { Description = "Colour hints from a JSON file (the web UI's export; README, \"Colour hints\").", HelpName = "file.json" };
        var json = new Option<bool>("--json") { Description = "Print machine-readable results (JSON) on stdout." };
        var root = new RootCommand("Colorize black-and-white photos with GAN-trained models, on the CPU.")
        {
            inputs, output, pack, renderSize, strength, threads, keepLuminance, overwrite, allowTruncated, pngCompression, hint, hintsFile, json,
        };

        var packsList = new Command("list", "List installed packs.") { json };
        var packFile = new Argument<string>("file.cpack|folder") { Description = "The .cpack file, or an unpacked pack folder (manifest.json, the weights and the files it lists), to install." };
        var packsInstall = new Command("install", "Install a .cpack file or pack folder into the store (verified, atomic).") { packFile, overwrite, json };
        var removeSpec = new Argument<string>("id[@version]") { Description = "The pack to remove: every version, a minor line or one version." };
        var packsRemove = new Command("remove", "Remove installed packs.") { removeSpec, json };
        var verifySpec = new Argument<string?>("id") { Description = "The pack to verify (default: all).", Arity = ArgumentArity.ZeroOrOne };
        var packsVerify = new Command("verify", "Check installed packs' files against their manifests.") { verifySpec, json };
        var packs = new Command("packs", "Manage model packs.") { packsList, packsInstall, packsRemove, packsVerify };
        var pluginsList = new Command("list", "List engine plugins and what failed to load.") { json };
        var plugins = new Command("plugins", "Inspect engine plugins.") { pluginsList };
        var urls = new Option<string?>("--urls") { Description = "Where to listen, as one URL http://<address>:<port> (instead of --host and --port)." };
        var host = new Option<string?>("--host") { Description = "The IP address to listen on (default 127.0.0.1; anything but loopback is reachable from the network)." };
        var port = NumberOption<int>("--port", "a port number (1-65535, or 0 for any free port)", $"The port (default {ServeCommand.DefaultPort}; 0 picks a free one).", p => p is >= 0 and <= 65535);
        var maxUpload = NumberOption<int>("--max-upload-mb", "a whole number", $"The largest upload, in MB (default {ServeCommand.DefaultMaxUploadMb}).");
        var maxMegapixels = NumberOption<double>("--max-megapixels", "a number", $"The largest image, in megapixels (default {ServeCommand.DefaultMaxMegapixels}).");
        var serve = new Command("serve", "The local web UI: colorize photos in the browser.") { host, port, urls, maxUpload, maxMegapixels, threads };
        root.Subcommands.Add(packs);
        root.Subcommands.Add(plugins);
        root.Subcommands.Add(serve);

        int Guard(Func<int> handler)
        {
            try
            {
                return handler();
            }
            catch (OperationCanceledException)
            {
                context.ReportError("colorize", "cancelled");
                return ExitCodes.SomeFailed;
            }
        }

        root.SetAction(p => Guard(() => BatchCommand.Run(context, new BatchRequest
        {
            Inputs = p.GetValue(inputs) ?? [],
            Output = p.GetValue(output),
            Pack = p.GetValue(pack),
            RenderSize = p.GetValue(renderSize),
            Strength = p.GetValue(strength),
            Threads = p.GetValue(threads),
            KeepLuminance = p.GetValue(keepLuminance),
            Overwrite = p.GetValue(overwrite),
            AllowTruncated = p.GetValue(allowTruncated),
            PngCompression = p.GetValue(pngCompression),
            Hints = p.GetValue(hint) ?? [],
            HintsFile = p.GetValue(hintsFile),
            Json = p.GetValue(json),
        })));
        packsList.SetAction(p => Guard(() => Commands.PacksList(context, p.GetValue(json))));
        packsInstall.SetAction(p => Guard(() => Commands.PacksInstall(context, p.GetValue(packFile)!, p.GetValue(overwrite), p.GetValue(json))));
        packsRemove.SetAction(p => Guard(() => Commands.PacksRemove(context, p.GetValue(removeSpec)!, p.GetValue(json))));
        packsVerify.SetAction(p => Guard(() => Commands.PacksVerify(context, p.GetValue(verifySpec), p.GetValue(json))));
        pluginsList.SetAction(p => Guard(() => Commands.PluginsList(context, p.GetValue(json))));
        serve.SetAction(p => Guard(() => ServeCommand.Run(context, new ServeRequest
        {
            Host = p.GetValue(host),
            Port = p.GetValue(port),
            Urls = p.GetValue(urls),
            MaxUploadMb = p.GetValue(maxUpload),
            MaxMegapixels = p.GetValue(maxMegapixels),
            Threads = p.GetValue(threads),
        })));

        ParseResult parse = root.Parse(args);

        // The root's <inputs> belong to colorizing; a verb's help must not list them as its own argument.
        inputs.Hidden = parse.CommandResult.Command != root;
        if (parse.Action is not HelpAction && parse.CommandResult.Command is { } group && (group == packs || group == plugins))
        {
            context.ReportError(group.Name, "name a verb: " + string.Join(", ", group.Subcommands.Select(c => c.Name)));
            return ExitCodes.Usage;
        }

        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var error in parse.Errors)
            {
                context.ReportError(OptionOf(error) ?? "usage", error.Message);
            }

            return ExitCodes.Usage;
        }

        // Help, --version and the verbs above; exceptions are not turned into stack traces by the library's handler
        // because every handler reports its own failures.
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an unexpected environment failure: still one line, no stack trace (the contract).
            context.ReportError("colorize", $"{e.GetType().Name}: {e.Message}");
            return ExitCodes.SomeFailed;
        }
    }

    /// <summary>The plugin loader, pack store and engines, set up as every Colorize host does (<c>AddColorize</c>).</summary>
    public static ServiceProvider CreateServices(CliContext context)
    {
        string home = ColorizeHome.Resolve(context.Home);
        return new ServiceCollection()
            .AddColorize(o =>
            {
                o.ColorizeHome = home;
                o.PluginFolders.Add(Path.Combine(home, "plugins"));
            })
            .BuildServiceProvider();
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

namespace Colorize.Plugins.Tests.Infrastructure;

/// <summary>Where the build put the test plugins (see the CopyTestPlugins target in the csproj).</summary>
internal static class PluginPaths
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    public static string Engine { get; } = Path.Combine(Root, "Colorize.Engine");

    public static string Echo { get; } = Path.Combine(Root, "Colorize.TestPlugins.Echo");

    public static string Throwing { get; } = Path.Combine(Root, "Colorize.TestPlugins.Throwing");

    public static string WrongContract { get; } = Path.Combine(Root, "Colorize.TestPlugins.WrongContract");

    /// <summary>Copies a plugin folder to <paramref name="parent"/>/<paramref name="name"/> (to damage the copy).</summary>
    public static string CopyPlugin(string source, string parent, string? name = null)
    {
        string target = Path.Combine(parent, name ?? Path.GetFileName(source));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }
}

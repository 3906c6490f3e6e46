using Colorize.Abstractions;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Colorize's plugin loader, pack store and engines with a service collection.</summary>
public static class ColorizeServiceCollectionExtensions
{
    /// <summary>
    /// Registers, as singletons: <see cref="ColorizeServiceOptions"/>; <see cref="PluginLoader"/> (on first use it
    /// loads every plugin folder; disposing the provider unloads them); <see cref="PackStore"/>;
    /// <c>IEnumerable&lt;IColorizerEngine&gt;</c> (the host's own engines, then the plugins'); and
    /// <see cref="ColorizerFactory"/>. Calling it twice keeps the first registration.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets plugin folders, the Colorize home, bundled packs.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddColorize(this IServiceCollection services, Action<ColorizeServiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new ColorizeServiceOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(provider =>
        {
            var o = provider.GetRequiredService<ColorizeServiceOptions>();
            var loaderOptions = new PluginLoaderOptions();
            foreach (var shared in o.SharedAssemblies)
            {
                loaderOptions.SharedAssemblies.Add(shared);
            }

            var loader = new PluginLoader(loaderOptions);
            var folders = o.PluginFolders.ToList();
            if (o.UseApplicationPluginsFolder)
            {
                folders.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
            }

            loader.LoadAll(folders.Distinct(StringComparer.Ordinal));
            return loader;
        });
        services.TryAddSingleton(provider =>
        {
            var o = provider.GetRequiredService<ColorizeServiceOptions>();
            var storeOptions = new PackStoreOptions
            {
                Home = o.ColorizeHome,
                UseApplicationPacksFolder = o.UseApplicationPacksFolder,
                DefaultPackId = o.DefaultPackId,
                Limits = o.PackLimits,
            };
            foreach (var folder in o.BundledPackFolders)
            {
                storeOptions.BundledFolders.Add(folder);
            }

            return new PackStore(storeOptions);
        });
        services.TryAddSingleton<IEnumerable<IColorizerEngine>>(provider =>
            [.. provider.GetRequiredService<ColorizeServiceOptions>().Engines, .. provider.GetRequiredService<PluginLoader>().Engines]);
        services.TryAddSingleton(provider =>
            new ColorizerFactory(provider.GetRequiredService<PackStore>(), provider.GetRequiredService<IEnumerable<IColorizerEngine>>()));
        return services;
    }
}

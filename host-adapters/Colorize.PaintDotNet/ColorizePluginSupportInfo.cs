using System.Reflection;
using PaintDotNet;

namespace Colorize.PaintDotNet;

/// <summary>What Paint.NET shows about the effect in its plugin list and error reports.</summary>
public sealed class ColorizePluginSupportInfo : IPluginSupportInfo
{
    /// <inheritdoc/>
    public string? Author => typeof(ColorizePluginSupportInfo).Assembly.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company;

    /// <inheritdoc/>
    public string? Copyright => "Copyright (c) Colorize contributors";

    /// <inheritdoc/>
    public string? DisplayName => ColorizeEffect.EffectName;

    /// <inheritdoc/>
    public Version? Version => typeof(ColorizePluginSupportInfo).Assembly.GetName().Version;

    /// <inheritdoc/>
    public Uri? WebsiteUri => null;
}

namespace PaintDotNet;

/// <summary>What Paint.NET shows about a plugin: its name, author, copyright, version and web site.</summary>
public interface IPluginSupportInfo
{
    /// <summary>The author.</summary>
    string? Author { get; }

    /// <summary>The copyright notice.</summary>
    string? Copyright { get; }

    /// <summary>The plugin's name as shown to users.</summary>
    string? DisplayName { get; }

    /// <summary>The plugin's version.</summary>
    Version? Version { get; }

    /// <summary>Where users find help or updates.</summary>
    Uri? WebsiteUri { get; }
}

/// <summary>Provides an <see cref="IPluginSupportInfo"/> computed at run time.</summary>
public interface IPluginSupportInfoProvider
{
    /// <summary>The support information, or null.</summary>
    IPluginSupportInfo? GetPluginSupportInfo();
}

/// <summary>Attaches support information to a plugin class or assembly.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public class PluginSupportInfoAttribute : Attribute, IPluginSupportInfo
{
    /// <summary>Creates empty support information; set the properties.</summary>
    public PluginSupportInfoAttribute()
    {
        Version = new Version(0, 0);
    }

    /// <summary>Takes the information from a type implementing <see cref="IPluginSupportInfo"/> or <see cref="IPluginSupportInfoProvider"/>.</summary>
    /// <param name="pluginSupportInfoOrProviderType">The type; it needs a public parameterless constructor.</param>
    public PluginSupportInfoAttribute(Type pluginSupportInfoOrProviderType)
        : this()
    {
        ArgumentNullException.ThrowIfNull(pluginSupportInfoOrProviderType);
        object instance = Activator.CreateInstance(pluginSupportInfoOrProviderType)
            ?? throw new ArgumentException($"{pluginSupportInfoOrProviderType} could not be created.", nameof(pluginSupportInfoOrProviderType));
        var info = instance as IPluginSupportInfo ?? (instance as IPluginSupportInfoProvider)?.GetPluginSupportInfo();
        if (instance is not IPluginSupportInfo and not IPluginSupportInfoProvider)
        {
            throw new ArgumentException($"{pluginSupportInfoOrProviderType} implements neither IPluginSupportInfo nor IPluginSupportInfoProvider.", nameof(pluginSupportInfoOrProviderType));
        }

        if (info is not null)
        {
            Author = info.Author;
            Copyright = info.Copyright;
            DisplayName = info.DisplayName;
            Version = info.Version ?? new Version(0, 0);
            WebsiteUri = info.WebsiteUri;
        }
    }

    /// <summary>Creates support information from its values.</summary>
    public PluginSupportInfoAttribute(string? displayName, string? author, string? copyright, Version? version, Uri? websiteUri)
    {
        DisplayName = displayName;
        Author = author;
        Copyright = copyright;
        Version = version ?? new Version(0, 0);
        WebsiteUri = websiteUri;
    }

    /// <inheritdoc/>
    public string? Author { get; set; }

    /// <inheritdoc/>
    public string? Copyright { get; set; }

    /// <inheritdoc/>
    public string? DisplayName { get; set; }

    /// <inheritdoc cref="IPluginSupportInfo.Version"/>
    public Version Version { get; set; }

    /// <inheritdoc/>
    public Uri? WebsiteUri { get; set; }

    Version? IPluginSupportInfo.Version => Version;
}

/// <summary>Attaches the support information of <typeparamref name="T"/> to a plugin.</summary>
/// <typeparam name="T">A type implementing <see cref="IPluginSupportInfo"/> with a parameterless constructor.</typeparam>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class PluginSupportInfoAttribute<T> : PluginSupportInfoAttribute
    where T : IPluginSupportInfo, new()
{
    /// <summary>Creates the attribute from a new <typeparamref name="T"/>.</summary>
    public PluginSupportInfoAttribute()
        : base(typeof(T))
    {
    }
}

/// <summary>The base of every plugin's options record.</summary>
public abstract record PluginOptions
{
}

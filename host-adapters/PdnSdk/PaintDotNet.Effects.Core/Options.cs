namespace PaintDotNet.Effects;

/// <summary>Options shared by every kind of effect.</summary>
public record EffectOptionsBase : PluginOptions
{
    private protected EffectOptionsBase()
    {
    }

    /// <summary>Whether the effect has a dialog (Paint.NET then adds "..." to its menu item).</summary>
    public bool IsConfigurable { get; set; }
}

/// <summary>Creates <see cref="BitmapEffectOptions"/>.</summary>
public abstract record BitmapEffectOptionsFactory : EffectOptionsBase
{
    private protected BitmapEffectOptionsFactory()
    {
    }

    /// <summary>New options with the defaults; change them with <c>with { ... }</c>.</summary>
    public static BitmapEffectOptions Create() => new();
}

/// <summary>The options of a <see cref="BitmapEffect"/>.</summary>
public record BitmapEffectOptions : BitmapEffectOptionsFactory
{
    internal BitmapEffectOptions()
    {
    }
}

/// <summary>The names of Paint.NET's Effects submenus.</summary>
public static class SubmenuNames
{
    /// <summary>Artistic.</summary>
    public static string Artistic => "Artistic";

    /// <summary>Blurs.</summary>
    public static string Blurs => "Blurs";

    /// <summary>Color.</summary>
    public static string Color => "Color";

    /// <summary>Distort.</summary>
    public static string Distort => "Distort";

    /// <summary>Noise.</summary>
    public static string Noise => "Noise";

    /// <summary>Object.</summary>
    public static string Object => "Object";

    /// <summary>Photo.</summary>
    public static string Photo => "Photo";

    /// <summary>Render.</summary>
    public static string Render => "Render";

    /// <summary>Stylize.</summary>
    public static string Stylize => "Stylize";
}

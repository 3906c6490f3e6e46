using PaintDotNet.PropertySystem;

namespace PaintDotNet.Effects;

/// <summary>An effect's settings at one moment; Paint.NET hands effects copies, never the dialog's live object.</summary>
public abstract class EffectConfigToken : ICloneable
{
    /// <summary>Creates a token.</summary>
    protected EffectConfigToken()
    {
    }

    /// <summary>Creates a copy of <paramref name="copyMe"/>.</summary>
    protected EffectConfigToken(EffectConfigToken copyMe)
    {
        ArgumentNullException.ThrowIfNull(copyMe);
    }

    /// <summary>A deep copy.</summary>
    public abstract object Clone();
}

/// <summary>The token of a property-based effect: a private copy of its property collection.</summary>
public sealed class PropertyBasedEffectConfigToken : EffectConfigToken
{
    /// <summary>Creates a token holding a copy of <paramref name="propertyCollection"/>.</summary>
    public PropertyBasedEffectConfigToken(PropertyCollection propertyCollection)
    {
        ArgumentNullException.ThrowIfNull(propertyCollection);
        Properties = propertyCollection.Clone();
    }

    /// <summary>The properties and their values.</summary>
    public PropertyCollection Properties { get; }

    /// <summary>The property names.</summary>
    public IEnumerable<string> PropertyNames => Properties.PropertyNames;

    /// <inheritdoc/>
    public override object Clone() => new PropertyBasedEffectConfigToken(Properties);

    /// <summary>The property named <paramref name="propertyName"/>, or null.</summary>
    public Property? GetProperty(object propertyName) => Properties[propertyName];

    /// <summary>The property named <paramref name="propertyName"/> as a <typeparamref name="T"/>, or null.</summary>
    public T? GetProperty<T>(object propertyName)
        where T : Property => Properties[propertyName] as T;

    /// <summary>Sets a property's value (validated as the property says); false when there is no such property.</summary>
    public bool SetPropertyValue(object propertyName, object newValue)
    {
        if (Properties[propertyName] is not { } property)
        {
            return false;
        }

        property.Value = newValue;
        return true;
    }
}

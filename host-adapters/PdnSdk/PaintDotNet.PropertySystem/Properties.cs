using System.Collections;
using System.ComponentModel;
using System.Data;
using System.Globalization;

namespace PaintDotNet.PropertySystem;

/// <summary>What a property does with a value it cannot accept.</summary>
public enum ValueValidationFailureResult
{
    /// <summary>Keep the old value.</summary>
    Ignore = 0,

    /// <summary>Bring the value into range (Paint.NET's default).</summary>
    Clamp = 1,

    /// <summary>Throw <see cref="ArgumentOutOfRangeException"/>.</summary>
    ThrowException = 2,
}

/// <summary>A named, typed, validated value; the unit of an effect's settings.</summary>
public abstract class Property : ICloneable, INotifyPropertyChanged
{
    private object _value;

    /// <summary>Creates a property.</summary>
    /// <param name="name">Its name (any object; its string form is the name).</param>
    /// <param name="valueType">The type of its values.</param>
    /// <param name="defaultValue">The initial and default value.</param>
    /// <param name="readOnly">Whether the value may be changed.</param>
    /// <param name="vvfResult">What to do with a value that fails validation.</param>
    protected Property(object name, Type valueType, object defaultValue, bool readOnly, ValueValidationFailureResult vvfResult)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(valueType);
        Name = name.ToString() ?? throw new ArgumentException("The name has no string form.", nameof(name));
        ValueType = valueType;
        DefaultValue = defaultValue;
        _value = defaultValue;
        ReadOnly = readOnly;
        ValueValidationFailureResult = vvfResult;
    }

    /// <summary>Raised after <see cref="Value"/> changes.</summary>
    public event PropertyChangedEventHandler? PropertyChanged;

    /// <summary>Raised after <see cref="Value"/> changes.</summary>
    public event EventHandler? ValueChanged;

    /// <summary>The name.</summary>
    public string Name { get; }

    /// <summary>The type of the values.</summary>
    public Type ValueType { get; }

    /// <summary>The default value.</summary>
    public object DefaultValue { get; }

    /// <summary>Whether <see cref="Value"/> may be changed.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>What happens to values that fail validation.</summary>
    public ValueValidationFailureResult ValueValidationFailureResult { get; }

    /// <summary>The value; setting it coerces, then validates or clamps it as <see cref="ValueValidationFailureResult"/> says.</summary>
    /// <exception cref="ReadOnlyException">The property is read-only.</exception>
    public object Value
    {
        get => _value;
        set
        {
            if (ReadOnly)
            {
                throw new ReadOnlyException($"The property '{Name}' is read-only.");
            }

            object coerced = OnCoerceValue(value);
            if (!OnValidateNewValue(coerced))
            {
                switch (ValueValidationFailureResult)
                {
                    case ValueValidationFailureResult.Ignore:
                        return;
                    case ValueValidationFailureResult.Clamp:
                        coerced = OnClampNewValue(coerced);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(value), value, $"The value is not valid for the property '{Name}'.");
                }
            }

            if (!Equals(_value, coerced))
            {
                _value = coerced;
                ValueChanged?.Invoke(this, EventArgs.Empty);
                PropertyChanged?.Invoke(this, new PropertyChangedEventArgs(nameof(Value)));
            }
        }
    }

    /// <summary>A copy with the same name, settings and current value.</summary>
    public abstract Property Clone();

    object ICloneable.Clone() => Clone();

    /// <summary>Turns a value of another type into one of <see cref="ValueType"/>.</summary>
    protected abstract object OnCoerceValue(object newValue);

    /// <summary>Whether the value is acceptable.</summary>
    protected abstract bool OnValidateNewValue(object newValue);

    /// <summary>The nearest acceptable value.</summary>
    protected abstract object OnClampNewValue(object newValue);

    /// <summary>Sets the value without the read-only check, for clones.</summary>
    protected void InitializeValue(object value) => _value = value;
}

/// <summary>A property whose values are of type <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
public abstract class Property<T> : Property
    where T : notnull
{
    /// <summary>Creates the property.</summary>
    protected Property(object name, T defaultValue, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, typeof(T), defaultValue, readOnly, vvfResult)
    {
    }

    /// <summary>The value.</summary>
    public new T Value
    {
        get => (T)base.Value;
        set => base.Value = value;
    }

    /// <summary>The default value.</summary>
    public new T DefaultValue => (T)base.DefaultValue;

    /// <summary>Converts to <typeparamref name="T"/>.</summary>
    protected virtual T OnCoerceValueT(object newValue) =>
        newValue is T t ? t : (T)Convert.ChangeType(newValue, typeof(T), CultureInfo.InvariantCulture);

    /// <summary>Whether the value is acceptable.</summary>
    protected virtual bool ValidateNewValueT(T newValue) => true;

    /// <summary>The nearest acceptable value.</summary>
    protected virtual T OnClampNewValueT(T newValue) => newValue;

    /// <inheritdoc/>
    protected sealed override object OnCoerceValue(object newValue) => OnCoerceValueT(newValue);

    /// <inheritdoc/>
    protected sealed override bool OnValidateNewValue(object newValue) => ValidateNewValueT((T)newValue);

    /// <inheritdoc/>
    protected sealed override object OnClampNewValue(object newValue) => OnClampNewValueT((T)newValue);
}

/// <summary>A property with a numeric range.</summary>
/// <typeparam name="T">The value type.</typeparam>
public abstract class ScalarProperty<T> : Property<T>
    where T : struct, IComparable<T>
{
    /// <summary>Creates the property; the default must lie in the range.</summary>
    protected ScalarProperty(object name, T defaultValue, T minValue, T maxValue, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, defaultValue, readOnly, vvfResult)
    {
        if (minValue.CompareTo(maxValue) > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minValue), minValue, "The minimum is greater than the maximum.");
        }

        if (defaultValue.CompareTo(minValue) < 0 || defaultValue.CompareTo(maxValue) > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultValue), defaultValue, "The default value is outside [minValue, maxValue].");
        }

        MinValue = minValue;
        MaxValue = maxValue;
    }

    /// <summary>The smallest allowed value.</summary>
    public T MinValue { get; }

    /// <summary>The largest allowed value.</summary>
    public T MaxValue { get; }

    /// <inheritdoc/>
    protected override bool ValidateNewValueT(T newValue) => newValue.CompareTo(MinValue) >= 0 && newValue.CompareTo(MaxValue) <= 0;

    /// <inheritdoc/>
    protected override T OnClampNewValueT(T newValue) =>
        newValue.CompareTo(MinValue) < 0 ? MinValue : newValue.CompareTo(MaxValue) > 0 ? MaxValue : newValue;
}

/// <summary>A whole number in a range (a slider in the dialog).</summary>
public sealed class Int32Property : ScalarProperty<int>
{
    /// <summary>Creates a property defaulting to 0 over the whole <see cref="int"/> range.</summary>
    public Int32Property(object name)
        : this(name, 0)
    {
    }

    /// <summary>Creates a property over the whole <see cref="int"/> range.</summary>
    public Int32Property(object name, int defaultValue)
        : this(name, defaultValue, int.MinValue, int.MaxValue)
    {
    }

    /// <summary>Creates a property.</summary>
    public Int32Property(object name, int defaultValue, int minValue, int maxValue)
        : this(name, defaultValue, minValue, maxValue, false)
    {
    }

    /// <summary>Creates a property.</summary>
    public Int32Property(object name, int defaultValue, int minValue, int maxValue, bool readOnly)
        : this(name, defaultValue, minValue, maxValue, readOnly, ValueValidationFailureResult.Clamp)
    {
    }

    /// <summary>Creates a property.</summary>
    public Int32Property(object name, int defaultValue, int minValue, int maxValue, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, defaultValue, minValue, maxValue, readOnly, vvfResult)
    {
    }

    /// <inheritdoc/>
    public override Property Clone()
    {
        var clone = new Int32Property(Name, DefaultValue, MinValue, MaxValue, false, ValueValidationFailureResult);
        clone.InitializeValue(Value);
        clone.ReadOnly = ReadOnly;
        return clone;
    }

    /// <inheritdoc/>
    protected override int OnCoerceValueT(object newValue) =>
        newValue is int i ? i : Convert.ToInt32(newValue, CultureInfo.InvariantCulture);
}

/// <summary>A real number in a range (a slider in the dialog).</summary>
public sealed class DoubleProperty : ScalarProperty<double>
{
    /// <summary>Creates a property defaulting to 0 over the whole range.</summary>
    public DoubleProperty(object name)
        : this(name, 0)
    {
    }

    /// <summary>Creates a property over the whole range.</summary>
    public DoubleProperty(object name, double defaultValue)
        : this(name, defaultValue, double.MinValue, double.MaxValue)
    {
    }

    /// <summary>Creates a property.</summary>
    public DoubleProperty(object name, double defaultValue, double minValue, double maxValue)
        : this(name, defaultValue, minValue, maxValue, false)
    {
    }

    /// <summary>Creates a property.</summary>
    public DoubleProperty(object name, double defaultValue, double minValue, double maxValue, bool readOnly)
        : this(name, defaultValue, minValue, maxValue, readOnly, ValueValidationFailureResult.Clamp)
    {
    }

    /// <summary>Creates a property.</summary>
    public DoubleProperty(object name, double defaultValue, double minValue, double maxValue, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, defaultValue, minValue, maxValue, readOnly, vvfResult)
    {
    }

    /// <inheritdoc/>
    public override Property Clone()
    {
        var clone = new DoubleProperty(Name, DefaultValue, MinValue, MaxValue, false, ValueValidationFailureResult);
        clone.InitializeValue(Value);
        clone.ReadOnly = ReadOnly;
        return clone;
    }

    /// <inheritdoc/>
    protected override bool ValidateNewValueT(double newValue) => !double.IsNaN(newValue) && base.ValidateNewValueT(newValue);
}

/// <summary>A yes/no value (a check box in the dialog).</summary>
public sealed class BooleanProperty : Property<bool>
{
    /// <summary>Creates a property defaulting to false.</summary>
    public BooleanProperty(object name)
        : this(name, false)
    {
    }

    /// <summary>Creates a property.</summary>
    public BooleanProperty(object name, bool defaultValue)
        : this(name, defaultValue, false)
    {
    }

    /// <summary>Creates a property.</summary>
    public BooleanProperty(object name, bool defaultValue, bool readOnly)
        : this(name, defaultValue, readOnly, ValueValidationFailureResult.Clamp)
    {
    }

    /// <summary>Creates a property.</summary>
    public BooleanProperty(object name, bool defaultValue, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, defaultValue, readOnly, vvfResult)
    {
    }

    /// <inheritdoc/>
    public override Property Clone()
    {
        var clone = new BooleanProperty(Name, DefaultValue, false, ValueValidationFailureResult);
        clone.InitializeValue(Value);
        clone.ReadOnly = ReadOnly;
        return clone;
    }
}

/// <summary>One of a fixed list of values (a drop-down or radio buttons in the dialog).</summary>
public sealed class StaticListChoiceProperty : Property<object>
{
    private readonly object[] _choices;

    /// <summary>Creates a property defaulting to the first choice.</summary>
    public StaticListChoiceProperty(object name, object[] valueChoices)
        : this(name, valueChoices, 0)
    {
    }

    /// <summary>Creates a property.</summary>
    public StaticListChoiceProperty(object name, object[] valueChoices, int defaultChoiceIndex)
        : this(name, valueChoices, defaultChoiceIndex, false)
    {
    }

    /// <summary>Creates a property.</summary>
    public StaticListChoiceProperty(object name, object[] valueChoices, int defaultChoiceIndex, bool readOnly)
        : this(name, valueChoices, defaultChoiceIndex, readOnly, ValueValidationFailureResult.Clamp)
    {
    }

    /// <summary>Creates a property.</summary>
    /// <exception cref="ArgumentException">There are no choices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The default index is outside the choices.</exception>
    public StaticListChoiceProperty(object name, object[] valueChoices, int defaultChoiceIndex, bool readOnly, ValueValidationFailureResult vvfResult)
        : base(name, ChoiceAt(valueChoices, defaultChoiceIndex), readOnly, vvfResult)
    {
        _choices = (object[])valueChoices.Clone();
    }

    /// <summary>The allowed values, in display order.</summary>
    public object[] ValueChoices => (object[])_choices.Clone();

    /// <inheritdoc/>
    public override Property Clone()
    {
        var clone = new StaticListChoiceProperty(Name, _choices, Array.IndexOf(_choices, DefaultValue), false, ValueValidationFailureResult);
        clone.InitializeValue(Value);
        clone.ReadOnly = ReadOnly;
        return clone;
    }

    /// <inheritdoc/>
    protected override object OnCoerceValueT(object newValue) => newValue;

    /// <inheritdoc/>
    protected override bool ValidateNewValueT(object newValue) => Array.IndexOf(_choices, newValue) >= 0;

    /// <summary>A value that is not a choice becomes the default choice.</summary>
    protected override object OnClampNewValueT(object newValue) => DefaultValue;

    private static object ChoiceAt(object[] valueChoices, int index)
    {
        ArgumentNullException.ThrowIfNull(valueChoices);
        if (valueChoices.Length == 0)
        {
            throw new ArgumentException("A choice property needs at least one choice.", nameof(valueChoices));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, valueChoices.Length);
        return valueChoices[index];
    }
}

/// <summary>An effect's settings: properties with unique names, in display order.</summary>
public sealed class PropertyCollection : INotifyPropertyChanged, IEnumerable<Property>, ICloneable
{
    private readonly List<Property> _properties;
    private readonly Dictionary<string, Property> _byName = new(StringComparer.Ordinal);

    /// <summary>Creates an empty collection.</summary>
    public PropertyCollection()
        : this([])
    {
    }

    /// <summary>Creates a collection of the given properties.</summary>
    /// <exception cref="ArgumentException">Two properties share a name.</exception>
    public PropertyCollection(IEnumerable<Property> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        _properties = [.. properties];
        foreach (var property in _properties)
        {
            if (!_byName.TryAdd(property.Name, property))
            {
                throw new ArgumentException($"Two properties are named '{property.Name}'.", nameof(properties));
            }

            property.PropertyChanged += (sender, e) => PropertyChanged?.Invoke(sender, e);
        }
    }

    /// <summary>Raised when a property's value changes.</summary>
    public event PropertyChangedEventHandler? PropertyChanged;

    /// <summary>The number of properties.</summary>
    public int Count => _properties.Count;

    /// <summary>The properties, in display order.</summary>
    public IEnumerable<Property> Properties => _properties;

    /// <summary>The names, in display order.</summary>
    public IEnumerable<string> PropertyNames => _properties.Select(p => p.Name);

    /// <summary>The property named <paramref name="propertyName"/> (its string form), or null.</summary>
    public Property? this[object propertyName] =>
        _byName.TryGetValue(propertyName?.ToString() ?? string.Empty, out var property) ? property : null;

    /// <summary>An empty collection.</summary>
    public static PropertyCollection CreateEmpty() => new();

    /// <summary>A deep copy: the same properties with their current values.</summary>
    public PropertyCollection Clone() => new(_properties.Select(p => p.Clone()));

    object ICloneable.Clone() => Clone();

    /// <summary>Copies the values of same-named, same-typed, writable properties from <paramref name="srcProps"/>.</summary>
    public void CopyCompatibleValuesFrom(PropertyCollection srcProps) => CopyCompatibleValuesFrom(srcProps, false);

    /// <summary>Copies the values of same-named, same-typed properties from <paramref name="srcProps"/>.</summary>
    public void CopyCompatibleValuesFrom(PropertyCollection srcProps, bool ignoreReadOnlyFlags)
    {
        ArgumentNullException.ThrowIfNull(srcProps);
        foreach (var source in srcProps)
        {
            if (this[source.Name] is { } target && target.ValueType == source.ValueType && (ignoreReadOnlyFlags || !target.ReadOnly))
            {
                bool wasReadOnly = target.ReadOnly;
                target.ReadOnly = false;
                target.Value = source.Value;
                target.ReadOnly = wasReadOnly;
            }
        }
    }

    /// <summary>Finds a property by name.</summary>
    public bool TryGetProperty(object propertyName, out Property? property)
    {
        property = this[propertyName];
        return property is not null;
    }

    /// <inheritdoc/>
    public IEnumerator<Property> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

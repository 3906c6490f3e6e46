using System.Globalization;
using System.Text.Json;
using Colorize.Abstractions.Packs;

namespace Colorize.Engine.Architectures;

/// <summary>Typed, validated access to an architecture's hyperparameters from a manifest.</summary>
public sealed class Hyperparameters
{
    private readonly IReadOnlyDictionary<string, JsonElement> _values;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Wraps the manifest's hyperparameters.</summary>
    public Hyperparameters(IReadOnlyDictionary<string, JsonElement>? values)
    {
        _values = values ?? new Dictionary<string, JsonElement>();
    }

    /// <summary>Whether the manifest gives <paramref name="name"/> (does not count as reading it).</summary>
    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>An integer in [min, max], or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < min || i > max)
        {
            throw new ModelPackException($"Hyperparameter '{name}' must be an integer from {min} to {max}, got {v.GetRawText()}.");
        }

        return i;
    }

    /// <summary>A number in [min, max], or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback, float min, float max)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !(d >= min && d <= max))
        {
            throw new ModelPackException($"Hyperparameter '{name}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got {v.GetRawText()}.");
        }

        return (float)d;
    }

    /// <summary>A boolean, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string name, bool fallback)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelPackException($"Hyperparameter '{name}' must be true or false, got {v.GetRawText()}."),
        };
    }

    /// <summary>One of <paramref name="allowed"/>, or <paramref name="fallback"/> when absent.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        string? s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s is null || Array.IndexOf(allowed, s) < 0)
        {
            throw new ModelPackException($"Hyperparameter '{name}' must be one of {string.Join(", ", allowed)}, got {v.GetRawText()}.");
        }

        return s;
    }

    /// <summary>Throws when the manifest names a hyperparameter the architecture does not know (likely a typo or a newer pack).</summary>
    public void RejectUnknown(string architecture)
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ModelPackException($"Architecture '{architecture}' has no hyperparameter {string.Join(", ", unknown.Select(u => $"'{u}'"))}.");
        }
    }
}

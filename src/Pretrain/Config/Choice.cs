using System.Reflection;
using System.Text;

namespace Pretrain.Config;

/// <summary>Overrides the config spelling of an enum member (default: its name in snake_case).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ChoiceNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// The one list of config spellings of an enumerated setting, and the one parser from spelling to enum.
/// Config files keep the strings (so YAML, `--set` and `config show` read as people write them); the
/// typed accessors on the config sections call <see cref="Parse"/>, and the value checks call
/// <see cref="Names"/>, so a new member is one line in the enum.
/// </summary>
public static class Choice<T> where T : struct, Enum
{
    private static readonly (T Value, string Name)[] Members = typeof(T)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => ((T)f.GetValue(null)!, f.GetCustomAttribute<ChoiceNameAttribute>()?.Name ?? SnakeCase(f.Name)))
        .ToArray();

    /// <summary>Every spelling, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Members.Select(m => m.Name).ToArray();

    public static bool IsName(string? value) => Members.Any(m => m.Name == value);

    /// <summary>The member spelled <paramref name="value"/> exactly. Loaded configs were checked already,
    /// so a failure here means a config built in code holds a bad value.</summary>
    public static T Parse(string value)
    {
        foreach (var (v, name) in Members)
            if (name == value) return v;
        throw new ArgumentException($"'{value}' is not one of {string.Join(", ", Names)} ({typeof(T).Name})");
    }

    public static string Name(T value)
    {
        foreach (var (v, name) in Members)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"not a member of {typeof(T).Name}");
    }

    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]))) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}

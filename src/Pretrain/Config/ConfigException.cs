namespace Pretrain.Config;

/// <summary>
/// A run configuration is wrong: unreadable YAML, unknown key, wrong type, out-of-range value, missing
/// file. The message is one line, already prefixed with where the problem is
/// (`file:line:col: key.path: ...` or `--set key=value: key.path: ...`), ready to print as is.
/// </summary>
public sealed class ConfigException(string message) : Exception(message);

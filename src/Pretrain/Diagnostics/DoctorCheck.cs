using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pretrain.Diagnostics;

/// <summary>The outcome of one check: <c>fail</c> means a run cannot start as asked.</summary>
public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of `pretrain doctor`: what was checked, how it stands, what was found and, when
/// something is wrong, what to do about it.</summary>
public sealed record DoctorCheck(string Name, CheckStatus Status, string Value, string? Fix = null)
{
    public static DoctorCheck Ok(string name, string value) => new(name, CheckStatus.Ok, value);
    public static DoctorCheck Warn(string name, string value, string fix) => new(name, CheckStatus.Warn, value, fix);
    public static DoctorCheck Fail(string name, string value, string fix) => new(name, CheckStatus.Fail, value, fix);

    public string StatusText => Status switch { CheckStatus.Ok => "ok", CheckStatus.Warn => "warn", _ => "fail" };
}

/// <summary>Every check of one `pretrain doctor` run, as text lines or one JSON object.</summary>
public sealed record DoctorReport(IReadOnlyList<DoctorCheck> Checks)
{
    /// <summary>True when no check failed: a run can start.</summary>
    public bool CanRun => Checks.All(c => c.Status != CheckStatus.Fail);

    public int Count(CheckStatus status) => Checks.Count(c => c.Status == status);

    public string Summary =>
        $"{Count(CheckStatus.Ok)} ok, {Count(CheckStatus.Warn)} warn, {Count(CheckStatus.Fail)} fail: " +
        (CanRun ? "a run can start" : "a run cannot start as asked");

    /// <summary>One line per check: `status  name  value  (fix: ...)`, then the summary line.</summary>
    public string ToText()
    {
        int width = Checks.Count == 0 ? 0 : Checks.Max(c => c.Name.Length);
        var sb = new System.Text.StringBuilder();
        foreach (var c in Checks)
        {
            sb.Append(c.StatusText.PadRight(4)).Append("  ").Append(c.Name.PadRight(width)).Append("  ").Append(c.Value);
            if (c.Fix is not null) sb.Append("  (fix: ").Append(c.Fix).Append(')');
            sb.AppendLine();
        }
        sb.Append("doctor: ").AppendLine(Summary);
        return sb.ToString();
    }

    /// <summary><c>{"can_run": bool, "ok": n, "warn": n, "fail": n, "checks": [{"name", "status", "value", "fix"}]}</c>;
    /// <c>fix</c> is null when the check passed.</summary>
    public JsonObject ToJson() => new()
    {
        ["can_run"] = CanRun,
        ["ok"] = Count(CheckStatus.Ok),
        ["warn"] = Count(CheckStatus.Warn),
        ["fail"] = Count(CheckStatus.Fail),
        ["checks"] = new JsonArray(Checks.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["status"] = c.StatusText,
            ["value"] = c.Value,
            ["fix"] = c.Fix,
        }).ToArray()),
    };

    public string ToJsonText() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

namespace Pretrain.Training;

/// <summary>The loss of a step was NaN or infinite. Thrown before backward, so no optimizer step and no
/// checkpoint ever sees the bad values.</summary>
public sealed class NonFiniteLossException(long step, IReadOnlyDictionary<string, double> terms)
    : Exception($"non-finite loss at step {step}: " + string.Join(", ", terms.Select(kv => $"{kv.Key}={kv.Value:G6}"))
                + "; weights and checkpoints are left as they were before this step (lower the lr, check the data)")
{
    /// <summary>The process exit code of a run stopped by a non-finite loss (documented in README).</summary>
    public const int ExitCode = 3;

    public long Step { get; } = step;
    public IReadOnlyDictionary<string, double> Terms { get; } = terms;
}

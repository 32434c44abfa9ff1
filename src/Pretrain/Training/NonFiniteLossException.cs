namespace Pretrain.Training;

/// <summary>The loss of a step was NaN or infinite. At a step that reads its loss terms (log, epoch end,
/// checkpoint, last step) it is thrown before backward, so no optimizer step and no checkpoint sees the bad
/// values. A step between those keeps the fact on the device; the next reading step (or checkpoint) throws
/// with <paramref name="detectedAt"/> set: the weights in memory have moved past the bad step, but no
/// checkpoint was written after it.</summary>
public sealed class NonFiniteLossException(long step, IReadOnlyDictionary<string, double> terms, long? detectedAt = null)
    : Exception($"non-finite loss at step {step}: " + string.Join(", ", terms.Select(kv => $"{kv.Key}={kv.Value:G6}"))
                + (detectedAt is { } at
                    ? $"; seen at step {at} (loss terms are read every training.log_every_steps): no checkpoint was written after step {step} (lower the lr, check the data)"
                    : "; weights and checkpoints are left as they were before this step (lower the lr, check the data)"))
{
    /// <summary>The step at which the host learned of it, when that was later than the step itself.</summary>
    public long? DetectedAt { get; } = detectedAt;

    /// <summary>The process exit code of a run stopped by a non-finite loss (documented in README).</summary>
    public const int ExitCode = 3;

    public long Step { get; } = step;
    public IReadOnlyDictionary<string, double> Terms { get; } = terms;
}

using Pretrain.Config;

namespace Pretrain.Checkpoints;

/// <summary>A checkpoint continues only a run of the same model and method: anything else would load
/// weights into a different network or a different loss. The keys the lr / weight-decay schedule is a
/// function of (<see cref="Schedule"/>) may change only when the user says so (--allow-schedule-change):
/// the schedule would otherwise jump at the resumed step without a word. Other sections (logging,
/// checkpointing, max_steps, data workers) may change freely.</summary>
public static class ResumeCompatibility
{
    /// <summary>One schedule key whose value differs between the checkpoint's config and this one.</summary>
    public sealed record Change(string Key, string Saved, string Current)
    {
        public override string ToString() => $"{Key} {Saved} -> {Current}";
    }

    /// <summary>The keys that move the lr and weight-decay schedules (their length, peak, floor, warm-up),
    /// each with how to read it from a config.</summary>
    static readonly (string Key, Func<RunConfig, string> Value)[] Schedule =
    [
        ("training.epochs", c => Num(c.Training.Epochs)),
        ("training.batch_size", c => Num(c.Training.BatchSize)),
        ("optimizer.base_lr", c => Num(c.Optimizer.BaseLr)),
        ("optimizer.lr", c => Num(c.Optimizer.Lr)),
        ("optimizer.lr_scaling", c => c.Optimizer.LrScaling),
        ("optimizer.min_lr", c => Num(c.Optimizer.MinLr)),
        ("optimizer.warmup_epochs", c => Num(c.Optimizer.WarmupEpochs)),
        ("optimizer.weight_decay", c => Num(c.Optimizer.WeightDecay)),
        ("optimizer.weight_decay_end", c => Num(c.Optimizer.WeightDecayEnd)),
    ];

    static string Num(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every schedule key that differs, in <see cref="Schedule"/> order.</summary>
    public static IReadOnlyList<Change> ScheduleChanges(RunConfig saved, RunConfig current) =>
        Schedule.Select(s => new Change(s.Key, s.Value(saved), s.Value(current))).Where(c => c.Saved != c.Current).ToList();

    /// <summary>Refuses a schedule change unless <paramref name="allow"/>; returns the changes allowed (for the log).</summary>
    public static IReadOnlyList<Change> CheckSchedule(RunConfig saved, RunConfig current, string path, bool allow)
    {
        var changes = ScheduleChanges(saved, current);
        if (changes.Count > 0 && !allow)
            throw new UserInputException($"{path}: {changes[0].Key} was {changes[0].Saved} in the checkpoint's run and is {changes[0].Current} now; " +
                $"resuming would move the schedule at the resumed step (pass --allow-schedule-change to accept{(changes.Count > 1 ? $"; {changes.Count} schedule keys differ" : "")})");
        return changes;
    }

    public static void Check(RunConfig saved, RunConfig current, string path)
    {
        Compare(ConfigWriter.SectionYaml(saved.Model), ConfigWriter.SectionYaml(current.Model), "model", path);
        Compare(ConfigWriter.SectionYaml(saved.Method), ConfigWriter.SectionYaml(current.Method), "method", path);
        Compare(ConfigWriter.SectionYaml(saved.Sdmp), ConfigWriter.SectionYaml(current.Sdmp), "sdmp", path);
        if (saved.Optimizer.Name != current.Optimizer.Name)
            throw new UserInputException($"{path}: checkpoint was trained with optimizer.name={saved.Optimizer.Name}, this config has {current.Optimizer.Name}; refusing to resume");
    }

    private static void Compare(string saved, string current, string section, string path)
    {
        if (saved == current) return;
        var a = saved.Split('\n');
        var b = current.Split('\n');
        var diff = a.Zip(b).FirstOrDefault(p => p.First != p.Second);
        var what = diff == default ? "" : $" (checkpoint '{diff.First.Trim()}' vs config '{diff.Second.Trim()}')";
        throw new UserInputException($"{path}: the checkpoint's {section} section differs from this config{what}; refusing to resume");
    }
}

using System.Runtime.InteropServices;
using System.Text.Json;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Tests.Config;
using Pretrain.Training;
using Xunit;

namespace Pretrain.Tests.Cli;

public class RunCommandTests
{
    static string[] LogMessages(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "log.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("@m").GetString()!)
            .ToArray();

    [Fact]
    public void RunPreparesTheFolderAndHandsTheContextToTheTrainer()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "experiment:\n  name: first\ntraining:\n  epochs: 2\n");
        var runDir = dir.PathOf("runs/first");
        RunContext? seen = null;

        var r = CliResult.Run(["run", "--config", file, "--output", runDir, "--set", "training.batch_size=8", "--device", "cpu"],
            ctx => { seen = ctx; ctx.Log.Information("trainer says {Value}", 42); return 0; });

        Assert.Equal(0, r.ExitCode);
        Assert.NotNull(seen);
        Assert.Equal(runDir, seen.RunDir);
        Assert.Equal(file, seen.ConfigPath);
        Assert.Equal("cpu", seen.DeviceOverride);
        Assert.Null(seen.Resume);
        Assert.Equal(8, seen.Config.Training.BatchSize);
        Assert.False(seen.Shutdown.IsRequested);

        var written = File.ReadAllText(Path.Combine(runDir, "config.yaml"));
        Assert.Equal(ConfigWriter.ToYaml(seen.Config), written);
        Assert.Equal(written, ConfigWriter.ToYaml(ConfigLoader.Load(Path.Combine(runDir, "config.yaml"))));
        Assert.Contains("trainer says 42", LogMessages(runDir));
        Assert.Contains("trainer says 42", r.Out);
    }

    [Fact]
    public void RunFolderDefaultsToExperimentOutputSlashName()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", $"experiment:\n  name: named\n  output: {dir.PathOf("out")}\n");
        string? runDir = null;
        var r = CliResult.Run(["run", "--config", file], ctx => { runDir = ctx.RunDir; return 0; });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(dir.PathOf("out/named"), runDir);
        Assert.True(File.Exists(dir.PathOf("out/named/config.yaml")));
    }

    [Fact]
    public void InvalidConfigStopsBeforeAnyFolderIsCreated()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  batch_size: -1\n");
        bool trained = false;
        var r = CliResult.Run(["run", "--config", file, "--output", dir.PathOf("run")], _ => { trained = true; return 0; });
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"{ConfigPaths.Display(file)}:2:15: training.batch_size: must be >= 1, got -1", r.ErrLine);
        Assert.False(trained);
        Assert.False(Directory.Exists(dir.PathOf("run")));
    }

    [Fact]
    public void EmptyOrTooSmallDataStopsBeforeAnyFolderIsCreated()
    {
        using var dir = new TempConfigDir();
        Directory.CreateDirectory(dir.PathOf("empty"));
        var empty = dir.Write("empty.yaml", $"data:\n  source: imagefolder\n  path: {dir.PathOf("empty")}\n");
        var small = dir.Write("small.yaml", "data:\n  synthetic: {train_size: 20, val_size: 4}\ntraining:\n  batch_size: 32\n");
        bool trained = false;

        var r = CliResult.Run(["run", "--config", empty, "--output", dir.PathOf("run1")], _ => { trained = true; return 0; });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(dir.PathOf("empty"), r.ErrLine);
        Assert.False(Directory.Exists(dir.PathOf("run1")));

        r = CliResult.Run(["run", "--config", small, "--output", dir.PathOf("run2")], _ => { trained = true; return 0; });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("20 samples is less than one batch of 32", r.ErrLine);
        Assert.False(Directory.Exists(dir.PathOf("run2")));
        Assert.False(trained);
    }

    [Fact]
    public void FinalProbeOrKnnMonitorOnUnlabelledDataStopsBeforeAnyFolderIsCreated()
    {
        using var dir = new TempConfigDir();
        var probe = dir.Write("probe.yaml", "data:\n  synthetic: {train_size: 64, val_size: 0}\ntraining:\n  batch_size: 32\n  final_probe: true\n");
        var knn = dir.Write("knn.yaml", "data:\n  synthetic: {train_size: 64, val_size: 0}\ntraining:\n  batch_size: 32\neval:\n  knn_every_epochs: 1\n");
        bool trained = false;

        var r = CliResult.Run(["run", "--config", probe, "--output", dir.PathOf("run1")], _ => { trained = true; return 0; });
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("training.final_probe: the final probe needs labelled train and val splits", r.ErrLine);
        Assert.False(Directory.Exists(dir.PathOf("run1")));

        r = CliResult.Run(["run", "--config", knn, "--output", dir.PathOf("run2")], _ => { trained = true; return 0; });
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("eval.knn_every_epochs: the k-NN monitor needs labelled train and val splits", r.ErrLine);
        Assert.False(Directory.Exists(dir.PathOf("run2")));
        Assert.False(trained);
    }

    [Fact]
    public void ExistingRunIsNotOverwrittenButCanBeResumed()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  epochs: 2\n");
        var runDir = dir.PathOf("run");
        Assert.Equal(0, CliResult.Run(["run", "--config", file, "--output", runDir], _ => 0).ExitCode);
        var original = File.ReadAllText(Path.Combine(runDir, "config.yaml"));

        var again = CliResult.Run(["run", "--config", file, "--output", runDir], _ => 0);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds a run (config.yaml); continue it with --resume auto", again.ErrLine);

        string? resume = null;
        var same = CliResult.Run(["run", "--config", file, "--output", runDir, "--resume", "auto"], ctx => { resume = ctx.Resume; return 0; });
        Assert.Equal(0, same.ExitCode);
        Assert.Equal("auto", resume);
        Assert.False(File.Exists(Path.Combine(runDir, "config.resume.yaml")));

        // A key outside the schedule changes freely and is recorded.
        var changed = CliResult.Run(["run", "--config", file, "--output", runDir, "--resume", "auto", "--set", "training.keep_last=5"], _ => 0);
        Assert.Equal(0, changed.ExitCode);
        Assert.Equal(original, File.ReadAllText(Path.Combine(runDir, "config.yaml")));
        Assert.Equal(5, ConfigLoader.Load(Path.Combine(runDir, "config.resume.yaml")).Training.KeepLast);

        var missing = CliResult.Run(["run", "--config", file, "--output", runDir, "--resume", dir.PathOf("nope.ckpt")], _ => 0);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal($"--resume {dir.PathOf("nope.ckpt")}: no such checkpoint file or run folder", missing.ErrLine);
    }

    [Fact]
    public void ResumeThatMovesTheScheduleIsRefusedUnlessAllowedAndThenRecorded()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  epochs: 2\n");
        var runDir = dir.PathOf("run");
        Assert.Equal(0, CliResult.Run(["run", "--config", file, "--output", runDir], _ => 0).ExitCode);

        bool trained = false;
        var refused = CliResult.Run(["run", "--config", file, "--output", runDir, "--resume", "auto", "--set", "training.epochs=4"], _ => { trained = true; return 0; });
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"{ConfigPaths.Display(Path.Combine(runDir, "config.yaml"))}: training.epochs was 2 in the checkpoint's run and is 4 now; " +
            "resuming would move the schedule at the resumed step (pass --allow-schedule-change to accept)", refused.ErrLine);
        Assert.False(trained);
        Assert.False(File.Exists(Path.Combine(runDir, "config.resume.yaml")));

        var allowed = CliResult.Run(["run", "--config", file, "--output", runDir, "--resume", "auto", "--allow-schedule-change",
            "--set", "training.epochs=4", "--set", "optimizer.min_lr=1e-6"], _ => 0);
        Assert.Equal(0, allowed.ExitCode);
        var resumeYaml = File.ReadAllText(Path.Combine(runDir, "config.resume.yaml"));
        Assert.StartsWith("# resumed with --allow-schedule-change; the schedule changes at the resumed step: training.epochs 2 -> 4, optimizer.min_lr 0 -> 1E-06\n", resumeYaml);
        Assert.Equal(4, ConfigLoader.Load(Path.Combine(runDir, "config.resume.yaml")).Training.Epochs);
        Assert.Contains(LogMessages(runDir), m => m.Contains("schedule changed: training.epochs 2 -> 4"));

        var notResuming = CliResult.Run(["run", "--config", file, "--output", dir.PathOf("run2"), "--allow-schedule-change"], _ => 0);
        Assert.Equal(2, notResuming.ExitCode);
        Assert.Equal("--allow-schedule-change applies to --resume only", notResuming.ErrLine);
    }

    [Fact]
    public void TrainerUserInputErrorIsOneLineAndCodeTwo()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "");
        var runDir = dir.PathOf("run");
        var r = CliResult.Run(["run", "--config", file, "--output", runDir], _ => throw new UserInputException("data/train: no images found"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("data/train: no images found", r.ErrLine);
        Assert.Contains("data/train: no images found", LogMessages(runDir));
    }

    [Fact]
    public void TrainerCrashIsCodeOneWithTheTraceInTheRunLog()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "");
        var runDir = dir.PathOf("run");
        var r = CliResult.Run(["run", "--config", file, "--output", runDir], _ => throw new InvalidOperationException("tensor shapes disagree"));
        Assert.Equal(1, r.ExitCode);
        var logPath = Path.Combine(runDir, "log.jsonl");
        Assert.Equal($"error: InvalidOperationException: tensor shapes disagree (full trace in {logPath})", r.ErrLine);
        var fatal = File.ReadAllLines(logPath).Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.TryGetProperty("@x", out _));
        Assert.Equal("Fatal", fatal.GetProperty("@l").GetString());
        Assert.Contains(nameof(TrainerCrashIsCodeOneWithTheTraceInTheRunLog), fatal.GetProperty("@x").GetString());
    }

    [Fact]
    public void SignalStopsMapTo130And143()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "");

        var term = CliResult.Run(["run", "--config", file, "--output", dir.PathOf("a")],
            ctx => { ctx.Shutdown.Request(PosixSignal.SIGTERM); return 0; });
        Assert.Equal(143, term.ExitCode);

        var interrupt = CliResult.Run(["run", "--config", file, "--output", dir.PathOf("b")],
            ctx => { ctx.Shutdown.Request(PosixSignal.SIGINT); ctx.Shutdown.Token.ThrowIfCancellationRequested(); return 0; });
        Assert.Equal(130, interrupt.ExitCode);
        Assert.Contains("[WRN] SIGINT received: stopping after the current step", interrupt.Err);
    }

    [Fact]
    public void LogLevelOptionFiltersConsoleAndFile()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "logging:\n  level: debug\n");
        var runDir = dir.PathOf("run");
        var r = CliResult.Run(["run", "--config", file, "--output", runDir, "--log-level", "warning"],
            ctx => { ctx.Log.Information("chatty"); ctx.Log.Warning("careful"); return 0; });
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.Contains("careful", r.Err);
        Assert.Equal(["careful"], LogMessages(runDir));

        var fromConfig = CliResult.Run(["run", "--config", file, "--output", dir.PathOf("run2")],
            ctx => { ctx.Log.Debug("details"); return 0; });
        Assert.Contains("details", LogMessages(dir.PathOf("run2")));
    }

    [Theory]
    [InlineData("info", "information")]
    [InlineData("INFO", "information")]
    [InlineData("warn", "warning")]
    [InlineData("debug", "debug")]
    [InlineData("trace", "verbose")]
    [InlineData("err", "error")]
    public void LogLevelAliasesAreAcceptedOnTheCommandLineAndInTheConfig(string alias, string level)
    {
        Assert.Equal(level, LogLevels.Canonical(alias));
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", $"logging:\n  level: {alias}\n");
        Assert.Equal(0, CliResult.Run(["config", "validate", "--config", file]).ExitCode);
        var runDir = dir.PathOf("run");
        var r = CliResult.Run(["run", "--config", file, "--output", runDir, "--log-level", alias],
            ctx => { ctx.Log.Verbose("v"); ctx.Log.Debug("d"); ctx.Log.Information("i"); ctx.Log.Warning("w"); ctx.Log.Error("e"); return 0; });
        Assert.Equal(0, r.ExitCode);
        var expected = new[] { "v", "d", "i", "w", "e" }[Array.IndexOf(LogLevels.Names, level)..];
        Assert.Equal(expected, LogMessages(runDir).Where(m => m.Length == 1));
    }
}

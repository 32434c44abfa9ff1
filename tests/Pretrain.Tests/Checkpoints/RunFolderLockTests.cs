using System.Diagnostics;
using Pretrain.Checkpoints;
using Pretrain.Config;
using Pretrain.Eval;
using Pretrain.Tests.Cli;
using Pretrain.Tests.Config;
using Pretrain.Tests.Distributed;
using Pretrain.Tests.Eval;
using Pretrain.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace Pretrain.Tests.Checkpoints;

/// <summary>RUN_DIR/.lock: flock(2) on an open file description, so it conflicts within one process as
/// across processes, and dies with its holder.</summary>
public class RunFolderLockTests(ITestOutputHelper output)
{
    static string Holder => $"pid {Environment.ProcessId} on host {Environment.MachineName} since ";

    [Fact]
    public void TwoLocksOnOneFolderConflictEvenInOneProcessAndTheFirstReleaseFreesIt()
    {
        using var dir = new TempConfigDir();
        var folder = dir.PathOf("runs/a");
        var first = RunFolderLock.Acquire(folder); // creates the folder
        Assert.Equal(Path.Combine(folder, ".lock"), first.FilePath);
        // .NET's File.ReadAllText takes a shared flock (and fails); Peek reads without locking.
        Assert.Equal(first.Holder, RunFolderLock.Peek(folder));
        Assert.StartsWith(Holder, first.Holder);
        Assert.EndsWith(" UTC", first.Holder);

        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<RunFolderLockedException>(() => RunFolderLock.Acquire(folder));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"{sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.IsAssignableFrom<UserInputException>(e); // exit 2
        Assert.Equal(first.Holder, e.Holder);
        Assert.StartsWith($"{folder}: in use by another pretrain process ({Holder}", e.Message);
        Assert.Contains($"flock on {Path.Combine(folder, ".lock")}", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        using (var other = RunFolderLock.Acquire(dir.PathOf("runs/b"))) { } // another folder: no conflict
        first.Dispose();
        first.Dispose(); // idempotent
        var second = RunFolderLock.Acquire(folder); // released: taken again, holder rewritten
        Assert.Equal(second.Holder, RunFolderLock.Peek(folder));
        second.Dispose();
        Assert.Equal(second.Holder + "\n", File.ReadAllText(second.FilePath)); // unlocked: any reader works
    }

    [Fact]
    public void RunRefusesAFolderThatAnotherRunHoldsWithOneLineNamingThePid()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  batch_size: 8\n");
        var runDir = dir.PathOf("run");
        CliResult? second = null;
        var first = CliResult.Run(["run", "--config", file, "--output", runDir, "--device", "cpu"], _ =>
        {
            // While this run trains, the same command (the requeued job) with --resume auto, and a new run.
            second = CliResult.Run(["run", "--config", file, "--output", runDir, "--device", "cpu", "--resume", "auto"], _ => 0);
            var fresh = CliResult.Run(["run", "--config", file, "--output", runDir, "--device", "cpu"], _ => 0);
            Assert.Equal(2, fresh.ExitCode);
            Assert.Contains("in use by another pretrain process", fresh.ErrLine);
            return 0;
        });
        Assert.True(first.ExitCode == 0, first.Err);
        Assert.NotNull(second);
        Assert.Equal(2, second.ExitCode);
        Assert.StartsWith($"{runDir}: in use by another pretrain process ({Holder}", second.ErrLine);
        // The first run ended: the lock is free again.
        var third = CliResult.Run(["run", "--config", file, "--output", runDir, "--device", "cpu", "--resume", "auto"], _ => 0);
        Assert.True(third.ExitCode == 0, third.Err);
    }

    [Fact]
    public void LinearEvalLocksItsFolder()
    {
        var run = EvalFixtures.TrainedRunCopy();
        using var held = RunFolderLock.Acquire(Path.Combine(run, LinearEvaluation.FolderName));
        var r = CliResult.Run(["linear-eval", "--checkpoint", run, "--set", "eval.linear.epochs=1", "--resume"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"{Path.Combine(run, LinearEvaluation.FolderName)}: in use by another pretrain process ({Holder}", r.ErrLine);
    }

    private const string TinyYaml = """
        experiment: {name: lock, seed: 1, device: cpu, threads: 1}
        data: {source: synthetic, image_size: 16, workers: 1, synthetic: {train_size: 64, val_size: 16, size: 16}}
        augment:
          views:
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0}
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0, solarize_p: 0.2}
        model: {arch: vit, patch_size: 4, embed_dim: 32, depth: 1, num_heads: 2}
        method: {name: mocov3, mocov3: {hidden_dim: 64, out_dim: 16}}
        optimizer: {name: adamw, lr: 0.001, warmup_epochs: 1}
        training: {epochs: 100000, batch_size: 16, log_every_steps: 1, checkpoint_every_steps: 1}
        logging: {tensorboard: false}
        """;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int sig);

    /// <summary>Two real processes: the second refuses at once naming the first's pid; after a SIGKILL of
    /// the first (no chance to clean up) the lock is gone and `--resume auto` continues the run.</summary>
    [Fact]
    public void ASecondProcessIsRefusedAndASigkilledHolderLeavesNoStaleLock()
    {
        var dir = TinyRun.TempDir();
        var config = Path.Combine(dir, "tiny.yaml");
        File.WriteAllText(config, TinyYaml);
        var runDir = Path.Combine(dir, "out");
        string[] Args(params string[] extra) => ["run", "--config", config, "--output", runDir, .. extra];
        var latest = Path.Combine(runDir, "checkpoints", "latest.ckpt");

        using var holder = PretrainJob.Background(Args());
        try
        {
            var wait = Stopwatch.StartNew();
            while (!File.Exists(latest) && wait.Elapsed < TimeSpan.FromSeconds(90) && !holder.HasExited) Thread.Sleep(50);
            Assert.False(holder.HasExited, $"the first run ended (exit {(holder.HasExited ? holder.ExitCode : 0)}) before the test");
            Assert.True(File.Exists(latest), "no checkpoint within 90 s");
            Assert.StartsWith($"pid {holder.Id} on host ", RunFolderLock.Peek(runDir));

            var second = PretrainJob.Plain(Args("--resume", "auto"), timeoutSeconds: 60);
            output.WriteLine($"second process: {second.Describe()}");
            Assert.True(second.Exited && second.ExitCode == 2, second.Describe());
            // Refused before torch loads: ~1.3 s here, nearly all of it .NET start-up and config loading.
            Assert.True(second.Elapsed < TimeSpan.FromSeconds(5), second.Describe());
            var line = Assert.Single(second.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"{runDir}: in use by another pretrain process (pid {holder.Id} on host {Environment.MachineName} since ", line);
            Assert.False(holder.HasExited);
        }
        finally
        {
            if (!holder.HasExited) Assert.Equal(0, Kill(holder.Id, 9)); // SIGKILL: no handler, no cleanup
            holder.WaitForExit();
        }
        Assert.Equal(137, holder.ExitCode);
        Assert.True(File.Exists(Path.Combine(runDir, ".lock"))); // the file stays; the lock died with the process

        long saved = Step(latest);
        var sw = Stopwatch.StartNew();
        var resumed = PretrainJob.Plain([.. Args("--resume", "auto"), "--set", $"training.max_steps={saved + 2}"], timeoutSeconds: 120);
        Assert.True(resumed.Exited && resumed.ExitCode == 0, resumed.Describe());
        Assert.Equal(saved + 2, Step(latest));
        output.WriteLine($"resume after SIGKILL at step {saved}: exit 0 in {sw.Elapsed.TotalSeconds:F1} s");
    }

    static long Step(string checkpoint) =>
        System.Text.Json.Nodes.JsonNode.Parse(CheckpointStore.Load(checkpoint).MetadataJson)![CheckpointStore.GlobalStepKey]!.GetValue<long>();
}

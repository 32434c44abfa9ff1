using Pretrain.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace Pretrain.Tests.Distributed;

/// <summary>
/// Data-parallel training end to end: the real `pretrain run` as two Open MPI ranks with batch B/2 each
/// against one process with batch B, for MoCo v3 + SDMP (tiny ViT; tiny ResNet with BatchNorm everywhere)
/// and DINO + SDMP: one step from the same weights (precise) and 20 steps from scratch (chaos-bounded);
/// a killed rank; resume; the one-line errors before any folder exists.
/// </summary>
public class DataParallelTrainingTests(ITestOutputHelper output)
{
    const string Data = """
        data:
          source: synthetic
          image_size: 16
          workers: 1
          prefetch: 2
          synthetic: {train_size: 96, val_size: 32, size: 16}
        """;

    const string MocoViews = """
        augment:
          views:
            - {name: v1, crop_size: 16, scale: [0.3, 1.0], blur_p: 0.5, solarize_p: 0.0}
            - {name: v2, crop_size: 16, scale: [0.3, 1.0], blur_p: 0.1, solarize_p: 0.2}
          eval_resize: 16
        method:
          name: mocov3
          mocov3: {hidden_dim: 64, out_dim: 16}
        optimizer: {name: adamw, lr: 1.0e-3, warmup_epochs: 1}
        """;

    const string Common = """
        experiment: {name: dp, seed: 1, device: cpu, threads: 1}
        sdmp: {enabled: true}
        training: {epochs: 4, batch_size: 16, log_every_steps: 5, max_steps: 20, checkpoint_every_epochs: 1}
        logging: {tensorboard: false}
        """;

    public static readonly Dictionary<string, string> Configs = new()
    {
        ["mocov3_vit"] = $"{Common}\n{Data}\n{MocoViews}\nmodel: {{arch: vit, patch_size: 4, embed_dim: 32, depth: 1, num_heads: 2, drop_path: 0.1}}\n",
        ["mocov3_resnet"] = $"{Common}\n{Data}\n{MocoViews}\nmodel: {{arch: resnet, block: basic, layers: [1, 1], widths: [8, 16], cifar_stem: true}}\n",
        ["dino_vit"] = $$"""
            {{Common}}
            {{Data}}
            augment:
              views:
                - {name: global1, crop_size: 16, scale: [0.4, 1.0], blur_p: 0.0, solarize_p: 0.0}
                - {name: global2, crop_size: 16, scale: [0.4, 1.0], blur_p: 0.0, solarize_p: 0.2}
                - {name: local, count: 4, crop_size: 8, scale: [0.1, 0.4], blur_p: 0.0, solarize_p: 0.0}
              eval_resize: 16
            model: {arch: vit, patch_size: 4, embed_dim: 32, depth: 1, num_heads: 2, drop_path: 0.1, pos_embed: learned, stop_grad_patch_embed: false}
            method:
              name: dino
              dino: {out_dim: 64, hidden_dim: 64, bottleneck_dim: 16, teacher_temp: 0.07, warmup_teacher_temp: 0.04, warmup_teacher_temp_epochs: 2}
            optimizer: {name: adamw, lr: 1.0e-3, warmup_epochs: 1, weight_decay: 0.04, weight_decay_end: 0.4, clip_grad: 3.0, clip_mode: per_param}

            """,
    };

    public static IEnumerable<object[]> Kinds => Configs.Keys.Select(k => new object[] { k });

    static string Config(string kind)
    {
        var path = Path.Combine(TinyRun.TempDir(), kind + ".yaml");
        File.WriteAllText(path, Configs[kind]);
        return path;
    }

    // optimizer.no_decay pinned to bias_and_norm, the rule these runs had when the test was written.
    static string[] RunArgs(string config, string dir, params string[] extra) => ["run", "--config", config, "--output", dir, "--set", "optimizer.no_decay=bias_and_norm", .. extra];

    static void Succeeded(PretrainJob job) => Assert.True(job.Exited && job.ExitCode == 0, job.Describe());

    static bool IsStatistic(string name) => name.EndsWith("running_mean") || name.EndsWith("running_var");

    // The precise comparison: one step on 2 ranks against one process FROM THE SAME WEIGHTS. Plain SGD (no
    // momentum, decay or warmup), so the update is lr times the gradient. 16 images, one step per epoch:
    // one process trains step 1 (epoch 1) and step 2 (epoch 2: the second epoch's shuffle, the schedules'
    // second values, DINO's last layer unfrozen); the 2-rank job resumes the one-process checkpoint of step
    // 1 and trains step 2, and so does one process with 2 torch threads. All three step-2 updates start
    // from identical bits, so what differs is summation order alone: for the 2-rank job the data-parallel
    // arithmetic (sums over 2 x 8 rows instead of 16, SyncBatchNorm's formula, gathered keys and SDMP
    // partners), for the 2-thread run the GEMMs' blocking. Measured (session 9), of the largest update,
    // 2 ranks over seeds 1-7 (2 threads over seeds 1, 2, 3, 5, 6): DINO + SDMP 1.9e-7 to 2.7e-7 (1e-9 to
    // 8e-9); MoCo v3 ResNet 7e-7 to 1.8e-6 (3e-7 to 6e-7); MoCo v3 ViT 1.2e-6 to 5.0e-5 (2.1e-6 to 5.3e-5,
    // within 2x of the 2-rank figure seed by seed), always in the projector's first Linear. That gradient is ill-conditioned at this
    // point: the BatchNorm after that Linear makes its output gradient sum to zero over the batch, and the
    // tiny ViT's CLS features of 16 images are still nearly alike, so the weight gradient is what is left
    // of a sum of nearly cancelling terms, and any change of summation order shows through. Hence the bound:
    // Tolerance, or NoiseFactor times what one process shows against itself with another thread count.
    //
    // Why not many steps from scratch (the earlier form of this test: 20 AdamW steps, 1e-5): weights that
    // differ in their last bits after step 1 make a pre-ReLU value that sits within ~1e-5 of zero flip
    // sides at step 2. One such flip (measured: seed 1, MoCo v3 ResNet + ResizeMix, one pixel of the
    // stem's channel 0 among 262,144 values, while every input image, the mixed ones included, was
    // bit-identical on both sides) moved that channel's bias update by 25 % and conv1's by 6 % (4e-3 of
    // the largest update), and a second one-process run with 2 threads diverges the same way on other
    // seeds (MoCo v3 ViT seed 1: 2.4e-3 at step 2). So a many-step comparison at 1e-5 passes or fails with
    // the seed and the CPU whatever the code, as the old test's comment recorded; from the same weights
    // there is nothing for the rounding to flip.
    const double Tolerance = 1e-5;
    const double NoiseFactor = 5;

    static readonly string[] PlainSgdTwoSteps =
    [
        "--set", "optimizer.name=sgd", "--set", "optimizer.lr=0.05", "--set", "optimizer.momentum=0",
        "--set", "optimizer.weight_decay=0", "--set", "optimizer.weight_decay_end=-1", "--set", "optimizer.warmup_epochs=0",
        "--set", "data.synthetic.train_size=16", "--set", "training.epochs=2", "--set", "training.max_steps=2",
    ];

    sealed record SecondStep(Dictionary<string, float[]> One, Dictionary<string, float[]> TwoRanks, Dictionary<string, float[]> TwoThreads, PretrainJob Job);

    /// <summary>One process trains steps 1 and 2; a 2-rank job, and one process with 2 torch threads, resume
    /// its step-1 checkpoint and train step 2 (all with <paramref name="extra"/>). Returns the three step-2
    /// updates, all from the same step-1 state.</summary>
    static SecondStep SecondStepFromTheSameWeights(string kind, params string[] extra)
    {
        var config = Config(kind);
        string one = TinyRun.TempDir(), two = TinyRun.TempDir(), threads = TinyRun.TempDir();
        Succeeded(PretrainJob.Plain(RunArgs(config, one, [.. PlainSgdTwoSteps, .. extra])));
        var start = Path.Combine(one, "checkpoints", "epoch-0001.ckpt");
        var job = PretrainJob.Mpi(RunArgs(config, two, [.. PlainSgdTwoSteps, .. extra, "--resume", start]));
        Succeeded(job);
        Assert.Contains("Resumed from", job.Output);
        Succeeded(PretrainJob.Plain(RunArgs(config, threads, [.. PlainSgdTwoSteps, .. extra, "--set", "experiment.threads=2", "--resume", start])));
        var before = PretrainJob.MethodState(one, "epoch-0001");
        Dictionary<string, float[]> Update(string dir) =>
            PretrainJob.MethodState(dir, "epoch-0002").ToDictionary(kv => kv.Key, kv => kv.Value.Zip(before[kv.Key], (x, y) => x - y).ToArray());
        return new SecondStep(Update(one), Update(two), Update(threads), job);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FromTheSameWeightsAStepOnTwoRanksMovesEveryWeightAsOneProcessDoes(string kind)
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        var (a, b, c, job) = SecondStepFromTheSameWeights(kind);
        var diffs = PretrainJob.Differences(a, b);
        double scale = PretrainJob.MaxAbs(a.Values);
        Assert.True(scale > 1e-3, $"the step moved nothing ({scale:E2})");
        double worst = diffs.Values.Max() / scale;
        var threads = PretrainJob.Differences(a, c);
        double noise = threads.Values.Max() / scale;
        double bound = Math.Max(Tolerance, NoiseFactor * noise);
        output.WriteLine($"{kind}: step-2 update, 2 ranks vs 1 process: max|d2 - d1| / max|d1| = {worst:E2} over {a.Count} tensors " +
                         $"(max|d1| {scale:E2}); 1 process with 2 threads: {noise:E2} ({threads.MaxBy(kv => kv.Value).Key}); bound {bound:E2}");
        foreach (var (name, d) in diffs.OrderByDescending(kv => kv.Value).Take(3))
            output.WriteLine($"  {name}: {d / scale:E2} (2 threads {threads[name] / scale:E2}; its own update {PretrainJob.MaxAbs([a[name]]) / scale:E2})");
        Assert.True(worst <= bound, $"{kind}: 2 ranks vs 1 process differ by {worst:E2} of the update ({diffs.MaxBy(kv => kv.Value).Key}), bound {bound:E2}");
        // Every trained tensor moved, and moved alike (a rank that skipped a gradient would leave half).
        foreach (var (name, d1) in a.Where(kv => !IsStatistic(kv.Key)))
        {
            double own = PretrainJob.MaxAbs([d1]);
            if (own < 1e-3 * scale) continue;   // zero gradient by construction (a key bias; a bias before BatchNorm)
            Assert.True(diffs[name] <= Math.Max(1e-3 * own, NoiseFactor * threads[name]), $"{name}: differs by {diffs[name] / own:E2} of its own update");
        }
        Assert.Contains("step 2: 2 replicas bit-identical", job.Output);
        Assert.Contains("Data-parallel over 2 ranks", job.Output);
    }

    // The many-step run: 20 AdamW steps from scratch on 2 ranks (4 epochs: reshuffles, epoch checkpoints,
    // warmup, DINO's teacher-temperature warmup) stay bit-identical across the ranks and train the model one
    // process trains, to the chaos of floating point (above). Left out of that comparison: BatchNorm running
    // statistics (the MoCo v3 predictor's running mean ends ~1.4x its own scale apart, a mean of nearly
    // zero-mean features), and the parameters whose gradient is zero by construction (a key bias shifts
    // every logit of a row alike; the final LayerNorm's bias is cancelled by the BatchNorm after the
    // projector's first Linear), which AdamW moves by ~lr per step on rounding noise alone, in any two
    // runs. Measured over seeds 1-7 (session 9): up to 2.1e-3 of the largest weight (MoCo v3 ViT, seed 6;
    // seed 1, used here: 1.0e-6, 1.7e-7, 1.2e-7). This run checks that nothing goes grossly wrong over
    // epochs; the step above is the precise check.
    const double ChaosBound = 1e-2;

    static bool ZeroGradientByConstruction(string name) => System.Text.RegularExpressions.Regex.IsMatch(name, @"(attn\.qkv\.bias|backbone\.norm\.bias)$");

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TwentyStepsOnTwoRanksTrainTheModelOneProcessTrains(string kind)
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        var config = Config(kind);
        string one = TinyRun.TempDir(), two = TinyRun.TempDir();
        Succeeded(PretrainJob.Plain(RunArgs(config, one)));
        var job = PretrainJob.Mpi(RunArgs(config, two));
        Succeeded(job);
        var a = PretrainJob.MethodState(one);
        var weights = PretrainJob.Differences(a, PretrainJob.MethodState(two))
            .Where(kv => !IsStatistic(kv.Key) && !ZeroGradientByConstruction(kv.Key)).ToList();
        double worst = weights.Max(kv => kv.Value) / PretrainJob.MaxAbs(a.Where(kv => !IsStatistic(kv.Key)).Select(kv => kv.Value));
        var where = weights.MaxBy(kv => kv.Value).Key;
        output.WriteLine($"{kind}: after 20 steps, weights max|dw|/max|w| = {worst:E2} ({where})");
        Assert.True(worst <= ChaosBound, $"{kind}: 2 ranks vs 1 process differ by {worst:E2} relative ({where})");
        // Rank 1 checked its state against rank 0's at every checkpoint; the last one is step 20.
        Assert.Contains("step 20: 2 replicas bit-identical", job.Output);
        Assert.Contains("Data-parallel over 2 ranks", job.Output);
    }

    [Fact]
    public void LocalSdmpPartnersTrainADifferentDocumentedModel()
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        // The precise comparison above sees the partner choice: from the same weights, local partners (each
        // rank mixes its own 8 rows) give another update than one process mixing all 16.
        var (a, b, _, job) = SecondStepFromTheSameWeights("mocov3_resnet", "--set", "sdmp.partners=local");
        Assert.Contains("SDMP partners local", job.Output);
        Assert.Contains("step 2: 2 replicas bit-identical", job.Output);
        double worst = PretrainJob.Differences(a, b).Values.Max() / PretrainJob.MaxAbs(a.Values);
        output.WriteLine($"local partners vs one process, step-2 update: {worst:E2} of the largest");
        Assert.True(worst > 100 * Tolerance, $"local partners should give another update, got {worst:E2}");
    }

    [Fact]
    public void AKilledRankEndsTheJobAndAutoResumeReachesTheUninterruptedWeights()
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        var config = Config("mocov3_resnet");
        string[] longer = ["--set", "training.epochs=40", "--set", "training.max_steps=120", "--set", "training.checkpoint_every_steps=10"];
        string straight = TinyRun.TempDir(), killed = TinyRun.TempDir();
        Succeeded(PretrainJob.Mpi(RunArgs(config, straight, longer)));

        var p = PretrainJob.StartMpi(RunArgs(config, killed, longer));
        var metrics = Path.Combine(killed, "metrics.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !(File.Exists(metrics) && File.ReadLines(metrics).Count() >= 5)) Thread.Sleep(50);
        var rank1 = PretrainJob.Ranks(killed).FirstOrDefault(r => r.Rank == 1);
        Assert.True(rank1.Pid > 0, "rank 1 not found");
        System.Diagnostics.Process.GetProcessById(rank1.Pid).Kill();   // SIGKILL
        var job = PretrainJob.Run(p, timeoutSeconds: 60);
        output.WriteLine($"after SIGKILL of rank 1: mpirun exit {job.ExitCode} in {job.Elapsed.TotalSeconds:F1} s");
        Assert.True(job.Exited, "the job did not end within 60 s of a rank's death");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Empty(PretrainJob.Ranks(killed));

        var resumed = PretrainJob.Mpi(RunArgs(config, killed, [.. longer, "--resume", "auto"]));
        Succeeded(resumed);
        Assert.Contains("Resumed from", resumed.Output);
        Assert.True(PretrainJob.BitIdentical(PretrainJob.MethodState(straight), PretrainJob.MethodState(killed)),
            "resumed 2-rank run differs from the uninterrupted one");
        var steps = File.ReadLines(metrics).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
        output.WriteLine($"metrics steps: {string.Join(",", steps)}");
    }

    [Fact]
    public void SigtermToOneRankStopsBothAtTheSameStepWithOneCheckpointAndResumeIsExact()
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        var config = Config("mocov3_vit");
        string[] longer = ["--set", "training.epochs=40", "--set", "training.max_steps=120"];
        string straight = TinyRun.TempDir(), stopped = TinyRun.TempDir();
        Succeeded(PretrainJob.Mpi(RunArgs(config, straight, longer)));

        var p = PretrainJob.StartMpi(RunArgs(config, stopped, longer));
        var metrics = Path.Combine(stopped, "metrics.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !(File.Exists(metrics) && File.ReadLines(metrics).Count() >= 3)) Thread.Sleep(50);
        var rank1 = PretrainJob.Ranks(stopped).First(r => r.Rank == 1);
        Assert.Equal(0, Kill(rank1.Pid, 15));   // SIGTERM to rank 1 only
        var job = PretrainJob.Run(p, timeoutSeconds: 60);
        Assert.True(job.Exited, job.Describe());
        Assert.Equal(143, job.ExitCode);
        var stop = System.Text.RegularExpressions.Regex.Match(job.Output + job.Error, @"Stopped at step (\d+); checkpoint written");
        Assert.True(stop.Success, job.Describe());
        long step = long.Parse(stop.Groups[1].Value);
        Assert.InRange(step, 1, 119);
        Assert.Contains($"step {step}: 2 replicas bit-identical", job.Output);
        output.WriteLine($"SIGTERM to rank 1: both ranks stopped at step {step}, mpirun exit {job.ExitCode}");

        Succeeded(PretrainJob.Mpi(RunArgs(config, stopped, [.. longer, "--resume", "auto"])));
        Assert.True(PretrainJob.BitIdentical(PretrainJob.MethodState(straight), PretrainJob.MethodState(stopped)),
            "stopped-and-resumed 2-rank run differs from the uninterrupted one");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    [Fact]
    public void ABatchThatDoesNotDivideAmongTheRanksFailsBeforeAnyFolder()
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null) { output.WriteLine("mpirun not on PATH: skipped"); return; }
        var dir = Path.Combine(TinyRun.TempDir(), "run");
        var job = PretrainJob.Mpi(RunArgs(Config("mocov3_vit"), dir, "--set", "training.batch_size=15"));
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("training.batch_size: 15 does not divide among 2 ranks", job.Error);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void AnSrunWithoutPmiIsAOneLineErrorBeforeAnyFolder()
    {
        var dir = Path.Combine(TinyRun.TempDir(), "run");
        var job = PretrainJob.Plain(RunArgs(Config("mocov3_vit"), dir),
            new Dictionary<string, string> { ["SLURM_NTASKS"] = "2", ["SLURM_PROCID"] = "0", ["SLURM_LOCALID"] = "0", ["SLURM_JOB_ID"] = "1" });
        Assert.Equal(2, job.ExitCode);
        var lines = job.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("--mpi=pmix", lines[0]);
        Assert.False(Directory.Exists(dir));
    }
}

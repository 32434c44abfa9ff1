using Pretrain.Tests.Distributed;
using Pretrain.Tests.Training;
using Xunit;

namespace Pretrain.Tests.Cli;

public class NonFiniteExitTests
{
    [Fact]
    public void ADivergingRunExitsWithItsOwnCodeAndOneLineNamingTheStepAndTerms()
    {
        var dir = TinyRun.TempDir();
        var config = Path.Combine(dir, "diverge.yaml");
        File.WriteAllText(config, DataParallelTrainingTests.Configs["mocov3_vit"]
            .Replace("optimizer: {name: adamw, lr: 1.0e-3, warmup_epochs: 1}", "optimizer: {name: sgd, lr: 1.0e+30, warmup_epochs: 0}"));
        var run = Path.Combine(dir, "run");
        var job = PretrainJob.Plain(["run", "--config", config, "--output", run, "--set", "training.checkpoint_every_steps=1"]);
        Assert.True(job.ExitCode == 3, job.Describe());
        var lines = job.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("non-finite loss")).ToList();
        var line = Assert.Single(lines);
        Assert.Matches(@"non-finite loss at step \d+: loss=", line);
        Assert.Contains("loss_moco=", line);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "latest.ckpt")), "the last good checkpoint is kept");
    }
}

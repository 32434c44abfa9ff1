using Pretrain.Config;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Cli;

/// <summary>Each kind of config error, run through the CLI entry: exit code 2 and exactly one located line on stderr.</summary>
public class CliConfigErrorTests
{
    [Theory]
    [InlineData("unknown key", "optimizer:\n  wieght_decay: 0.1\n", ":2:3: optimizer.wieght_decay: unknown key (did you mean 'weight_decay'?)")]
    [InlineData("wrong type", "training:\n  batch_size: many\n", ":2:15: training.batch_size: expected an integer, got 'many'")]
    [InlineData("out of range", "sdmp:\n  lambda_range: [0.9, 0.1]\n", ":2:17: sdmp.lambda_range: needs [a, b] with 0 <= a <= b <= 1, got [0.9, 0.1]")]
    [InlineData("probability", "augment:\n  views:\n    - grayscale_p: -0.5\n", ":3:20: augment.views[0].grayscale_p: must be a probability in [0, 1], got -0.5")]
    [InlineData("enumeration", "method:\n  name: simclr\n", ":2:9: method.name: 'simclr' is not one of mocov3, dino")]
    [InlineData("missing data", "data:\n  source: filelist\n", ": data.path: required when data.source is filelist (or give data.train_path)")]
    [InlineData("unset variable", "experiment:\n  output: ${PRETRAIN_TEST_SURELY_UNSET_VARIABLE}\n", ":2:11: experiment.output: environment variable 'PRETRAIN_TEST_SURELY_UNSET_VARIABLE' is not set")]
    [InlineData("cycle", "base: x.yaml\n", ":1:7: base: inheritance cycle: {0} -> {0}")]
    public void ConfigErrorsExitWithTwoAndOneLocatedLine(string kind, string yaml, string expectedAfterFile)
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", yaml);
        var shown = ConfigPaths.Display(file);
        var expected = shown + string.Format(expectedAfterFile, shown);

        foreach (var command in new[] { "run", "config show", "config validate" })
        {
            var args = command.Split(' ').Concat(["--config", file, "--output", dir.PathOf("run")]).ToArray();
            if (command != "run") args = args[..^2];
            var r = CliResult.Run(args, _ => throw new Xunit.Sdk.XunitException($"{kind}: trainer must not start"));
            Assert.Equal(2, r.ExitCode);
            Assert.Equal(expected, r.ErrLine);
            Assert.Equal("", r.Out);
        }
        Assert.False(Directory.Exists(dir.PathOf("run")));
    }
}

using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

public class EnvironmentExpansionTests
{
    [Fact]
    public void SetVariablesAreExpandedInsideValuesBeforeTypeChecks()
    {
        using var dir = new TempConfigDir();
        var name = "PRETRAIN_TEST_NAME_" + Guid.NewGuid().ToString("N")[..8];
        var batch = "PRETRAIN_TEST_BATCH_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(name, "cifar");
        Environment.SetEnvironmentVariable(batch, "48");
        try
        {
            var file = dir.Write("x.yaml", $"experiment:\n  name: run_${{{name}}}_a\ntraining:\n  batch_size: ${{{batch}}}\n");
            var c = ConfigLoader.Load(file);
            Assert.Equal("run_cifar_a", c.Experiment.Name);
            Assert.Equal(48, c.Training.BatchSize);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
            Environment.SetEnvironmentVariable(batch, null);
        }
    }

    [Fact]
    public void UnsetVariableIsAnErrorNamingItAndTheKey()
    {
        using var dir = new TempConfigDir();
        var name = "PRETRAIN_TEST_UNSET_" + Guid.NewGuid().ToString("N")[..8];
        var file = dir.Write("x.yaml", $"data:\n  source: synthetic\n  path: ${{{name}}}/images\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file));

        Assert.Equal($"{ConfigPaths.Display(file)}:3:9: data.path: environment variable '{name}' is not set", e.Message);
    }

    [Fact]
    public void BasePathsAreExpandedToo()
    {
        using var dir = new TempConfigDir();
        var name = "PRETRAIN_TEST_BASE_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(name, "shared");
        try
        {
            dir.Write("shared/base.yaml", "training:\n  epochs: 9\n");
            var file = dir.Write("x.yaml", $"base: ${{{name}}}/base.yaml\n");
            Assert.Equal(9, ConfigLoader.Load(file).Training.Epochs);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}

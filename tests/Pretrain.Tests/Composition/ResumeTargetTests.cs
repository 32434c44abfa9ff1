using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Tests.Training;
using Xunit;

namespace Pretrain.Tests.Composition;

[Collection(TorchGlobalState.Name)]
public class ResumeTargetTests
{
    [Fact]
    public void AMissingExplicitPathIsAnErrorAndAutoOrNullAreNot()
    {
        ResumeTarget.Validate(null);
        ResumeTarget.Validate("auto");
        var e = Assert.Throws<UserInputException>(() => ResumeTarget.Validate("/nonexistent/x.ckpt"));
        Assert.Equal("--resume /nonexistent/x.ckpt: no such checkpoint file or run folder", e.Message);
    }

    [Fact]
    public void AutoFindsNothingInANewFolderAndAFolderWithoutCheckpointsIsAnError()
    {
        var cfg = TinyRun.Config();
        var dir = TinyRun.TempDir();
        Assert.Null(ResumeTarget.Resolve("auto", dir, cfg, TinyRun.Log));
        var e = Assert.Throws<UserInputException>(() => ResumeTarget.Resolve(dir, Path.Combine(dir, "other"), cfg, TinyRun.Log));
        Assert.EndsWith("no valid checkpoint in this run folder", e.Message);
        Assert.Equal("/some/file.ckpt", ResumeTarget.Resolve("/some/file.ckpt", dir, cfg, TinyRun.Log));
    }

    [Fact]
    public void AFolderOrAutoResolvesToTheNewestCheckpoint()
    {
        var cfg = TinyRun.Config(sdmp: false);
        var dir = TinyRun.TempDir();
        using (TinyRun.Train(cfg, dir, 2)) { }
        var auto = ResumeTarget.Resolve("auto", dir, cfg, TinyRun.Log);
        Assert.NotNull(auto);
        Assert.Equal(auto, ResumeTarget.Resolve(dir, TinyRun.TempDir(), cfg, TinyRun.Log));
    }
}

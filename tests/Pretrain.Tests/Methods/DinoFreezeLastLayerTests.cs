using Pretrain.Composition;
using Pretrain.Methods;
using Pretrain.Tests.Training;
using Pretrain.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

[Collection(TorchGlobalState.Name)]
public class DinoFreezeLastLayerTests
{
    private static byte[] Bytes(Tensor t) => t.detach().cpu().contiguous().bytes.ToArray();

    [Fact]
    public void LastLayerStaysFixedDuringEpochZeroAndTrainsAfter()
    {
        var cfg = DinoTinyRun.Config(sdmp: true);
        cfg.Optimizer.WarmupEpochs = 0;          // a non-zero lr from the first step
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var student = ((Dino)t.Method).Student;
        var v = student.head.LastLayer.WeightV;
        var g = student.head.LastLayer.WeightG;
        var mlpWeight = student.head.named_parameters().First(p => p.name.StartsWith("mlp.") && p.parameter.ndim == 2).parameter;
        var raw = t.Loader.Epoch(0, 0).Take(2).ToList();

        var v0 = Bytes(v);
        var g0 = Bytes(g);
        var mlp0 = Bytes(mlpWeight);
        t.TrainStep(raw[0], epoch: 0);
        t.TrainStep(raw[1], epoch: 0);
        Assert.Equal(v0, Bytes(v));
        Assert.Equal(g0, Bytes(g));
        Assert.NotEqual(mlp0, Bytes(mlpWeight));   // the rest of the student did train

        t.TrainStep(raw[0], epoch: 1);
        Assert.NotEqual(v0, Bytes(v));
        Assert.Equal(g0, Bytes(g));                  // norm_last_layer: the gain stays 1 for good
        Assert.Equal(1f, g.min().item<float>());
        Assert.Equal(1f, g.max().item<float>());
    }
}

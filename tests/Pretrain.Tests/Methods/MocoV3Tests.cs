using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Methods;
using Pretrain.Tests.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

[Collection(TorchGlobalState.Name)]
public class MocoV3Tests
{
    private static Dictionary<string, Tensor> Params(Pretrain.Models.Backbone b) =>
        b.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Fact]
    public void TheMomentumEncoderIsTheEmaOfTheQueryEncoderTakenBeforeTheKeys()
    {
        var cfg = TinyRun.Config(sdmp: true);
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var query = t.Method.ProbeBackbone("query");
        var momentum = t.Method.ProbeBackbone("momentum");
        var batches = t.Loader.Epoch(0, 0).Take(2).ToArray();
        var q0 = Params(query);
        foreach (var (name, p) in Params(momentum)) Assert.True(p.equal(q0[name]).all().item<bool>(), $"momentum {name} does not start as a copy");

        t.TrainStep(batches[0], 0);
        var q1 = Params(query);
        var k1 = Params(momentum);
        var logged = t.TrainStep(batches[1], 0);
        double m = logged["momentum"];
        Assert.Equal(1 - 0.5 * (1 + Math.Cos(Math.PI * (1.0 / t.Plan.StepsPerEpoch) / t.Plan.Epochs)) * (1 - cfg.Method.Mocov3.Momentum), m, 12);
        // Step 2 moved the momentum encoder towards the query encoder as it was before step 2's update.
        foreach (var (name, p) in Params(momentum))
        {
            var expected = k1[name] * m + q1[name] * (1 - m);
            Assert.True(p.allclose(expected, 1e-6, 1e-7), $"momentum {name}");
        }
    }

    [Fact]
    public void TheSdmpLossIsTheConfiguredWeightedTotalOfItsTerms()
    {
        var cfg = TinyRun.Config(sdmp: true);
        cfg.Sdmp.WeightSource = 0.25;
        cfg.Sdmp.WeightMix = 2.0;
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var logged = t.TrainStep(t.Loader.Epoch(0, 0).First(), 0);
        Assert.Equal(logged["loss_moco"] + 0.25 * logged["loss_source"] + 2.0 * logged["loss_mix"], logged["loss"], 1e-5);
        Assert.Contains(logged["sdmp_op"], new[] { 0.0, 1.0, 2.0 });
    }

    [Fact]
    public void WithoutSdmpTheLossIsTheSymmetricMocoLossAlone()
    {
        var cfg = TinyRun.Config(sdmp: false);
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var logged = t.TrainStep(t.Loader.Epoch(0, 0).First(), 0);
        Assert.Equal(logged["loss_moco"], logged["loss"]);
        Assert.False(logged.ContainsKey("loss_source"));
        Assert.False(logged.ContainsKey("sdmp_op"));
    }

    [Fact]
    public void BackbonesAreNamedQueryAndMomentumAndStateHoldsBothEncoders()
    {
        var cfg = TinyRun.Config(sdmp: false);
        using var moco = MethodFactory.Create(cfg, new Pretrain.Schedules.TrainingPlan(6, 4, 0), CPU);
        Assert.IsType<MocoV3>(moco);
        Assert.Same(moco.ProbeBackbone(), moco.ProbeBackbone("query"));
        Assert.Same(moco.ProbeBackbone("online"), moco.ProbeBackbone("query"));
        Assert.Same(moco.ProbeBackbone("teacher"), moco.ProbeBackbone("momentum"));
        Assert.NotSame(moco.ProbeBackbone("query"), moco.ProbeBackbone("momentum"));
        Assert.Equal("unknown backbone 'student' for mocov3 (use query or momentum)",
            Assert.Throws<UserInputException>(() => moco.ProbeBackbone("student")).Message);
        var state = moco.StateTensors();
        Assert.Contains(state.Keys, k => k.StartsWith("query.encoder.backbone."));
        Assert.Contains(state.Keys, k => k.StartsWith("query.predictor."));
        Assert.Contains(state.Keys, k => k.StartsWith("momentum.projector."));
        Assert.DoesNotContain(state.Keys, k => k.StartsWith("momentum.predictor"));
    }
}

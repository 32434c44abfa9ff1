using Pretrain.Ema;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace Pretrain.Tests.Ema;

public class MomentumUpdaterTests
{
    private static Module<Tensor, Tensor> Net(long seed)
    {
        torch.manual_seed(seed);
        var net = Sequential(("fc", Linear(3, 2)), ("bn", BatchNorm1d(2)));
        using (torch.no_grad())
        {
            // BatchNorm starts at weight 1, bias 0 in both nets; make them differ so the average shows.
            foreach (var (name, p) in net.named_parameters().Where(np => np.name.StartsWith("bn.")))
                p.copy_(torch.randn(p.shape));
        }
        return net;
    }

    private static Dictionary<string, Tensor> Snapshot(Module m) =>
        m.named_parameters().Select(np => (np.name, (Tensor)np.parameter)).Concat(m.named_buffers())
            .ToDictionary(x => x.Item1, x => x.Item2.detach().clone());

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Fact]
    public void UpdateIsTheClosedFormMovingAverageAndLeavesBuffersAlone()
    {
        var online = Net(1);
        var target = Net(2);
        using (torch.no_grad()) target.named_buffers().First(b => b.name == "bn.running_mean").buffer.fill_(7.0f);
        var o = Snapshot(online);
        var t = Snapshot(target);

        MomentumUpdater.Update(online, target, 0.9);

        var after = Snapshot(target);
        foreach (var name in new[] { "fc.weight", "fc.bias", "bn.weight", "bn.bias" })
        {
            var expected = t[name] * 0.9 + o[name] * 0.1;
            Assert.True((expected - after[name]).abs().max().item<float>() < 1e-7, name);
            Assert.False(Same(after[name], t[name]), name);
        }
        foreach (var name in new[] { "bn.running_mean", "bn.running_var", "bn.num_batches_tracked" })
            Assert.True(Same(t[name], after[name]), name);
        Assert.Equal(7.0f, after["bn.running_mean"][0].item<float>());
        Assert.True(Same(o["fc.weight"], Snapshot(online)["fc.weight"]));
    }

    [Fact]
    public void MomentumOneLeavesTargetAndZeroCopiesOnline()
    {
        var online = Net(1);
        var target = Net(2);
        var t = Snapshot(target);
        MomentumUpdater.Update(online, target, 1.0);
        var kept = Snapshot(target);
        Assert.All(t.Keys, name => Assert.True(Same(t[name], kept[name]), name));

        MomentumUpdater.Update(online, target, 0.0);
        var o = Snapshot(online);
        var copied = Snapshot(target);
        foreach (var name in new[] { "fc.weight", "fc.bias", "bn.weight", "bn.bias" })
            Assert.True(Same(o[name], copied[name]), name);
    }

    [Fact]
    public void CopyIntoCopiesParametersAndBuffersAndFreezesTarget()
    {
        var online = Net(1);
        var target = Net(2);
        using (torch.no_grad()) online.named_buffers().First(b => b.name == "bn.running_var").buffer.fill_(3.0f);
        MomentumUpdater.CopyInto(online, target);
        var o = Snapshot(online);
        var t = Snapshot(target);
        Assert.Equal(7, t.Count);
        Assert.All(o.Keys, name => Assert.True(Same(o[name], t[name]), name));
        Assert.All(target.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(online.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void OnlineMayHaveExtraParametersButTargetMustBeCovered()
    {
        torch.manual_seed(3);
        var online = Sequential(("fc", Linear(3, 2)), ("predictor", Linear(2, 2)));
        var target = Sequential(("fc", Linear(3, 2)));
        MomentumUpdater.CopyInto(online, target);
        MomentumUpdater.Update(online, target, 0.5);
        Assert.True(Same(Snapshot(online)["fc.weight"], Snapshot(target)["fc.weight"]));

        var wrongShape = Sequential(("fc", Linear(3, 4)));
        var ex = Assert.Throws<ArgumentException>(() => MomentumUpdater.Update(online, wrongShape, 0.5));
        Assert.Contains("fc.weight", ex.Message);
        var extra = Sequential(("fc", Linear(3, 2)), ("head", Linear(2, 1)));
        ex = Assert.Throws<ArgumentException>(() => MomentumUpdater.CopyInto(online, extra));
        Assert.Contains("head.weight", ex.Message);
    }
}

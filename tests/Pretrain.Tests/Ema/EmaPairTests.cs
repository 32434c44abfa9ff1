using Pretrain.Checkpoints;
using Pretrain.Config;
using Pretrain.Ema;
using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Ema;

public class EmaPairTests
{
    private static Backbone Net(long seed)
    {
        manual_seed(seed);
        return new ResNet(new ResNetSettings(BlockKind.Basic, [1], [4], CifarStem: true));
    }

    private static EmaPair<Backbone, Backbone> Pair(bool targetByDefault) =>
        new(Net(1), Net(2), CPU, new EmaRoles("m", "student", "teacher", targetByDefault), o => o, t => t);

    private static bool Same(Tensor a, Tensor b) => a.equal(b).all().item<bool>();

    [Fact]
    public void TheTargetStartsAsAnExactCopyWithoutGradientsAndFollowsTheUpdater()
    {
        using var pair = Pair(targetByDefault: true);
        foreach (var ((_, o), (_, t)) in pair.Online.named_parameters().Zip(pair.Target.named_parameters()))
        {
            Assert.True(Same(o, t));
            Assert.False(t.requires_grad);
        }
        foreach (var ((_, o), (_, t)) in pair.Online.named_buffers().Zip(pair.Target.named_buffers())) Assert.True(Same(o, t));

        using (no_grad()) foreach (var p in pair.Online.parameters()) p.add_(1.0);
        var before = pair.Target.parameters().Select(p => p.detach().clone()).ToArray();
        pair.Update(0.75);
        var online = pair.Online.parameters().ToArray();
        var target = pair.Target.parameters().ToArray();
        for (int i = 0; i < target.Length; i++)
            Assert.True(target[i].allclose(before[i] * 0.75 + online[i] * 0.25, 1e-6, 1e-7));
    }

    [Fact]
    public void BackbonesByRoleAndAClearErrorForOtherNames()
    {
        using var dino = Pair(targetByDefault: true);
        Assert.Same(dino.Target, dino.Backbone("default"));
        Assert.Same(dino.Target, dino.Backbone("teacher"));
        Assert.Same(dino.Target, dino.Backbone("momentum"));
        Assert.Same(dino.Online, dino.Backbone("student"));
        Assert.Same(dino.Online, dino.Backbone("online"));
        var e = Assert.Throws<UserInputException>(() => dino.Backbone("query"));
        Assert.Equal("unknown backbone 'query' for m (use teacher or student)", e.Message);

        using var moco = Pair(targetByDefault: false);
        Assert.Same(moco.Online, moco.Backbone("default"));
        Assert.Equal("unknown backbone 'x' for m (use student or teacher)", Assert.Throws<UserInputException>(() => moco.Backbone("x")).Message);
    }

    [Fact]
    public void StateIsBothNetworksUnderTheirRoleNamesAndLoadsBack()
    {
        using var a = Pair(targetByDefault: true);
        using var b = Pair(targetByDefault: true);
        using (no_grad()) foreach (var p in b.Online.parameters()) p.mul_(3.0);
        var state = new Dictionary<string, Tensor>();
        a.AddState(state);
        Assert.All(state.Keys, k => Assert.True(k.StartsWith("student.") || k.StartsWith("teacher."), k));
        Assert.Equal(ModuleTensorsCount(a.Online) * 2, state.Count);
        b.LoadState(state);
        foreach (var ((_, x), (_, y)) in a.Online.named_parameters().Zip(b.Online.named_parameters())) Assert.True(Same(x, y));

        a.SetTraining(false);
        Assert.False(a.Online.training);
        Assert.False(a.Target.training);
    }

    private static int ModuleTensorsCount(nn.Module m)
    {
        var d = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(d, m, "");
        return d.Count;
    }
}

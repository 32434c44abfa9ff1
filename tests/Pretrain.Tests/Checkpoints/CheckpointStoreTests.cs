using Pretrain.Checkpoints;
using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace Pretrain.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ckpt-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Checkpoint AtStep(long step) =>
        new(new Dictionary<string, Tensor> { ["x"] = torch.full(new long[] { 3 }, (double)step) }, $"{{\"global_step\": {step}}}");

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void SaveWritesAtomicallyAndLeavesNoTempFile()
    {
        var store = new CheckpointStore(_dir, keepLast: 2);
        var path = store.Save("latest", AtStep(5));
        Assert.Equal(Path.Combine(_dir, "latest.ckpt"), path);
        Assert.Equal(new[] { "latest.ckpt" }, Files());
        store.Save("latest", AtStep(6));
        Assert.Equal(new[] { "latest.ckpt" }, Files());
        Assert.Equal(6L, CheckpointStore.ReadGlobalStep(CheckpointStore.Load(path).MetadataJson));
    }

    [Fact]
    public void SaveEpochKeepsTheLastKAndUpdatesLatest()
    {
        var store = new CheckpointStore(_dir, keepLast: 2);
        for (int epoch = 1; epoch <= 4; epoch++) store.SaveEpoch(epoch, AtStep(epoch * 10));
        Assert.Equal(new[] { "epoch-0003.ckpt", "epoch-0004.ckpt", "latest.ckpt" }, Files());
        var latest = CheckpointStore.Load(Path.Combine(_dir, "latest.ckpt"));
        Assert.Equal(40L, CheckpointStore.ReadGlobalStep(latest.MetadataJson));
        Assert.Equal(40.0f, latest.Tensors["x"][0].item<float>());
    }

    [Fact]
    public void ResolveAutoPicksTheNewestValidAndSkipsADamagedNewest()
    {
        var store = new CheckpointStore(_dir, keepLast: 5);
        var warnings = new List<string>();
        Assert.Null(store.ResolveAuto(warnings.Add));

        store.SaveEpoch(1, AtStep(100));
        store.SaveEpoch(2, AtStep(200));
        var latest = store.SaveLatest(AtStep(250));
        Assert.Equal(latest, store.ResolveAuto(warnings.Add));
        Assert.Empty(warnings);

        // Damage the newest: one flipped data byte keeps its header (and step 250) readable.
        var bytes = File.ReadAllBytes(latest);
        bytes[^20] ^= 0xFF;
        File.WriteAllBytes(latest, bytes);
        File.WriteAllText(Path.Combine(_dir, "epoch-0003.tmp"), "interrupted write");

        var chosen = store.ResolveAuto(warnings.Add);
        Assert.Equal(Path.Combine(_dir, "epoch-0002.ckpt"), chosen);
        Assert.Single(warnings);
        Assert.Contains("latest.ckpt", warnings[0]);
        Assert.DoesNotContain("epoch-0003.tmp", Files());
    }

    [Fact]
    public void ResolveAutoWarnsAboutTruncatedFiles()
    {
        var store = new CheckpointStore(_dir, keepLast: 5);
        store.SaveEpoch(1, AtStep(100));
        var epoch2 = store.SaveEpoch(2, AtStep(200));
        var bytes = File.ReadAllBytes(epoch2);
        File.WriteAllBytes(epoch2, bytes[..(bytes.Length / 2)]);
        File.Delete(Path.Combine(_dir, "latest.ckpt"));

        var warnings = new List<string>();
        Assert.Equal(Path.Combine(_dir, "epoch-0001.ckpt"), store.ResolveAuto(warnings.Add));
        Assert.Contains(warnings, w => w.Contains("epoch-0002.ckpt"));
    }

    private static Module<Tensor, Tensor> Net(long seed)
    {
        torch.manual_seed(seed);
        var net = Sequential(("fc", Linear(3, 2)), ("bn", BatchNorm1d(2)));
        using (torch.no_grad()) net.named_buffers().First(b => b.name == "bn.running_mean").buffer.uniform_(0.0, 1.0);
        return net;
    }

    [Fact]
    public void ModuleStateRoundTripsThroughAFile()
    {
        var model = Net(1);
        var ema = Net(2);
        var tensors = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(tensors, model, "model.");
        ModuleTensors.AddTo(tensors, ema, "ema.");
        Assert.Contains("model.bn.num_batches_tracked", tensors.Keys);
        var path = new CheckpointStore(_dir, 1).Save("latest", new Checkpoint(tensors, "{\"global_step\": 3}"));

        var loaded = CheckpointStore.Load(path);
        var restored = Net(7);
        ModuleTensors.LoadInto(restored, loaded.Tensors, "ema.");
        var expected = ema.state_dict();
        foreach (var (name, t) in restored.state_dict())
            Assert.True(CheckpointFileTests.Same(expected[name], t), name);
        Assert.False(CheckpointFileTests.Same(model.state_dict()["fc.weight"], restored.state_dict()["fc.weight"]));
    }

    [Fact]
    public void StrictLoadListsMissingUnexpectedAndMisshapedNames()
    {
        var tensors = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(tensors, Net(1), "model.");
        tensors.Remove("model.bn.running_var");
        tensors["model.extra"] = torch.zeros(1);
        tensors["model.fc.bias"] = torch.zeros(5);
        var target = Net(2);
        var before = target.state_dict()["fc.weight"].clone();

        var ex = Assert.Throws<CheckpointException>(() => ModuleTensors.LoadInto(target, tensors, "model."));
        Assert.Contains("missing [bn.running_var]", ex.Message);
        Assert.Contains("unexpected [extra]", ex.Message);
        Assert.Contains("fc.bias", ex.Message);
        // Nothing was copied.
        Assert.True(CheckpointFileTests.Same(before, target.state_dict()["fc.weight"]));
    }
}

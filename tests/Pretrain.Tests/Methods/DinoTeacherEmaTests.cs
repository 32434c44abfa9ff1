using Pretrain.Composition;
using Pretrain.Methods;
using Pretrain.Tests.Training;
using Pretrain.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

[Collection(TorchGlobalState.Name)]
public class DinoTeacherEmaTests
{
    [Fact]
    public void AfterOneStepTheTeacherIsTheMomentumAverageOfItselfAndTheStudent()
    {
        var cfg = DinoTinyRun.Config(sdmp: true);
        cfg.Optimizer.WarmupEpochs = 0;
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var dino = (Dino)t.Method;
        var teacher = dino.Teacher.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var student = dino.Student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(student.Keys.OrderBy(k => k), teacher.Keys.OrderBy(k => k));
        Assert.All(teacher.Values, p => Assert.False(p.requires_grad));
        foreach (var (name, p) in teacher)
            Assert.True(p.equal(student[name]).all().item<bool>(), $"teacher {name} does not start as a copy of the student");
        var before = teacher.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        var logged = t.TrainStep(t.Loader.Epoch(0, 0).First(), epoch: 0);

        // m = 1 - (1 - 0.996)·(1 + cos(π·0/N))/2 = 0.996 at iteration 0 of the cosine schedule.
        Assert.Equal(0.996, dino.TeacherMomentum(0), 12);
        Assert.Equal(0.996, logged["momentum"], 12);
        double m = 0.996;
        double studentMoved = 0;
        foreach (var (name, p) in teacher)
        {
            var s = student[name].detach();
            var expected = before[name].mul(m).add(s, alpha: 1 - m);
            var diff = (p.detach() - expected).abs().max().item<float>();
            Assert.True(diff <= 1e-7f, $"teacher {name}: |θt - (m·θt0 + (1-m)·θs)| = {diff:E2}");
            studentMoved = Math.Max(studentMoved, (s - before[name]).abs().max().item<float>());
        }
        Assert.True(studentMoved > 1e-4, $"the student barely moved ({studentMoved:E2}); the check above would be vacuous");
    }
}

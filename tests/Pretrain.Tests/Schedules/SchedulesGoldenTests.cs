using System.Text.Json;
using Pretrain.Config;
using Pretrain.Ema;
using Pretrain.Schedules;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Schedules;

/// <summary>Every sub-case of schedules.json, computed in double, to 1e-9 + 1e-6·|exp|.</summary>
public class SchedulesGoldenTests
{
    private const double Atol = 1e-9, Rtol = 1e-6;

    private static JsonElement Section(string name) => GoldenFile.Load("schedules.json").Root.GetProperty(name);

    public static IEnumerable<object[]> Cases(string section) =>
        Enumerable.Range(0, Section(section).GetArrayLength()).Select(i => new object[] { i });

    public static IEnumerable<object[]> MocoLr => Cases("moco_lr");
    public static IEnumerable<object[]> MocoMomentum => Cases("moco_momentum");
    public static IEnumerable<object[]> DinoCosine => Cases("dino_cosine_scheduler");
    public static IEnumerable<object[]> TeacherTemp => Cases("dino_teacher_temp_schedule");
    public static IEnumerable<object[]> Ema => Cases("ema_update");

    private static double[] Doubles(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(x => x.GetDouble()).ToArray();

    [Theory]
    [MemberData(nameof(MocoLr))]
    public void MocoLearningRate(int index)
    {
        var c = Section("moco_lr")[index];
        var epochs = Doubles(c, "epoch");
        var lr = Doubles(c, "lr");
        for (int i = 0; i < epochs.Length; i++)
        {
            // The function LearningRateSchedule evaluates at every iteration's fractional epoch (min_lr 0 as MoCo v3).
            var got = CosineSchedule.WarmupCosine(epochs[i], c.GetProperty("base_lr").GetDouble(), 0.0, c.GetProperty("warmup_epochs").GetDouble(), c.GetProperty("epochs").GetDouble());
            GoldenFile.AssertClose(lr[i], got, Atol, Rtol, $"moco_lr[{index}] at epoch {epochs[i]}");
        }
    }

    [Fact]
    public void TheRunScheduleEvaluatesWarmupCosineAtEveryIterationsFractionalEpoch()
    {
        var opt = new OptimizerConfig { BaseLr = 1.5e-4, LrScaling = "linear", MinLr = 1e-6, WarmupEpochs = 2, WeightDecay = 0.1 };
        var plan = new TrainingPlan(StepsPerEpoch: 7, Epochs: 5, MaxSteps: 0);
        var schedule = new LearningRateSchedule(opt, plan, globalBatch: 512);
        Assert.Equal(3e-4, schedule.PeakLr, 15);
        for (int i = 0; i < plan.TotalSteps; i++)
            Assert.Equal(CosineSchedule.WarmupCosine(i / 7.0, 3e-4, 1e-6, 2, 5), schedule.Lr(i));
    }

    [Theory]
    [MemberData(nameof(MocoMomentum))]
    public void MocoMomentumAtFractionalEpochs(int index)
    {
        var c = Section("moco_momentum")[index];
        var epochs = Doubles(c, "epoch");
        var m = Doubles(c, "m");
        for (int i = 0; i < epochs.Length; i++)
            GoldenFile.AssertClose(m[i], CosineSchedule.RisingToOne(epochs[i], c.GetProperty("epochs").GetDouble(), c.GetProperty("m0").GetDouble()),
                Atol, Rtol, $"moco_momentum[{index}] at epoch {epochs[i]}");
    }

    [Theory]
    [MemberData(nameof(DinoCosine))]
    public void DinoCosineScheduler(int index)
    {
        var c = Section("dino_cosine_scheduler")[index];
        var expected = Doubles(c, "schedule");
        var got = CosineSchedule.PerIteration(c.GetProperty("base_value").GetDouble(), c.GetProperty("final_value").GetDouble(),
            c.GetProperty("epochs").GetInt32(), c.GetProperty("niter_per_ep").GetInt32(),
            c.GetProperty("warmup_epochs").GetInt32(), c.GetProperty("start_warmup_value").GetDouble());
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            GoldenFile.AssertClose(expected[i], got[i], Atol, Rtol, $"cosine_scheduler[{index}] iteration {i}");
    }

    [Theory]
    [MemberData(nameof(TeacherTemp))]
    public void DinoTeacherTemperature(int index)
    {
        var c = Section("dino_teacher_temp_schedule")[index];
        var expected = Doubles(c, "schedule");
        double warm = c.GetProperty("warmup_teacher_temp").GetDouble(), temp = c.GetProperty("teacher_temp").GetDouble();
        int warmEpochs = c.GetProperty("warmup_teacher_temp_epochs").GetInt32();
        var got = WarmupThenConstant.PerEpoch(warm, temp, warmEpochs, c.GetProperty("nepochs").GetInt32());
        Assert.Equal(expected.Length, got.Length);
        for (int e = 0; e < got.Length; e++)
            GoldenFile.AssertClose(expected[e], got[e], Atol, Rtol, $"teacher_temp[{index}] epoch {e}");
    }

    [Theory]
    [MemberData(nameof(Ema))]
    public void EmaUpdate(int index)
    {
        var c = Section("ema_update")[index];
        var teacher = Doubles(c, "teacher");
        var student = Doubles(c, "student");
        var expected = Doubles(c, "result");
        double m = c.GetProperty("m").GetDouble();
        // Through the update both methods run: MomentumUpdater on two modules holding the vectors.
        using var scope = NewDisposeScope();
        using var online = new OneParameter(tensor(student, ScalarType.Float64));
        using var target = new OneParameter(tensor(teacher, ScalarType.Float64));
        MomentumUpdater.Update(online, target, m);
        GoldenFile.AssertClose(expected, target.w, Atol, Rtol, $"ema tensor[{index}]");
    }

    private sealed class OneParameter : nn.Module
    {
        public readonly TorchSharp.Modules.Parameter w;

        public OneParameter(Tensor value) : base(nameof(OneParameter))
        {
            w = nn.Parameter(value, requires_grad: false);
            RegisterComponents();
        }
    }
}

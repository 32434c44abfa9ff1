using System.Text.Json;
using Pretrain.Training.Schedules;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Training.Schedules;

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
            var got = MocoSchedule.LearningRate(epochs[i], c.GetProperty("base_lr").GetDouble(), c.GetProperty("warmup_epochs").GetDouble(), c.GetProperty("epochs").GetDouble());
            GoldenFile.AssertClose(lr[i], got, Atol, Rtol, $"moco_lr[{index}] at epoch {epochs[i]}");
            var viaCosine = CosineSchedule.WarmupCosine(epochs[i], c.GetProperty("base_lr").GetDouble(), 0.0, c.GetProperty("warmup_epochs").GetDouble(), c.GetProperty("epochs").GetDouble());
            Assert.Equal(got, viaCosine);
        }
    }

    [Theory]
    [MemberData(nameof(MocoMomentum))]
    public void MocoMomentumAtFractionalEpochs(int index)
    {
        var c = Section("moco_momentum")[index];
        var epochs = Doubles(c, "epoch");
        var m = Doubles(c, "m");
        for (int i = 0; i < epochs.Length; i++)
            GoldenFile.AssertClose(m[i], MocoSchedule.Momentum(epochs[i], c.GetProperty("epochs").GetDouble(), c.GetProperty("m0").GetDouble()),
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
        var got = DinoSchedule.TeacherTemperatures(warm, temp, warmEpochs, c.GetProperty("nepochs").GetInt32());
        Assert.Equal(expected.Length, got.Length);
        for (int e = 0; e < got.Length; e++)
        {
            GoldenFile.AssertClose(expected[e], got[e], Atol, Rtol, $"teacher_temp[{index}] epoch {e}");
            Assert.Equal(got[e], DinoSchedule.TeacherTemperature(e, warm, temp, warmEpochs));
        }
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
        for (int i = 0; i < teacher.Length; i++)
            GoldenFile.AssertClose(expected[i], EmaRule.Blend(teacher[i], student[i], m), Atol, Rtol, $"ema[{index}][{i}]");

        using var scope = NewDisposeScope();
        var t = tensor(teacher, ScalarType.Float64);
        EmaRule.Apply(t, tensor(student, ScalarType.Float64), m);
        GoldenFile.AssertClose(expected, t, Atol, Rtol, $"ema tensor[{index}]");
    }
}

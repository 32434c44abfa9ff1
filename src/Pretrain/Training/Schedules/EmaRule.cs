using static TorchSharp.torch;

namespace Pretrain.Training.Schedules;

/// <summary>
/// The momentum (EMA) update shared by MoCo v3 and DINO: teacher ← m·teacher + (1-m)·student
/// (m = 1 keeps the teacher, m = 0 copies the student).
/// </summary>
public static class EmaRule
{
    public static double Blend(double teacher, double student, double m) => teacher * m + student * (1.0 - m);

    /// <summary>In place on <paramref name="teacher"/>; no gradient is recorded.</summary>
    public static void Apply(Tensor teacher, Tensor student, double m)
    {
        if (!teacher.shape.SequenceEqual(student.shape)) throw new ArgumentException($"EMA shapes differ: [{string.Join(",", teacher.shape)}] vs [{string.Join(",", student.shape)}]");
        using var noGrad = no_grad();
        teacher.mul_(m).add_(student.detach(), alpha: 1.0 - m);
    }
}

using Pretrain.Mixing;
using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// SDMP's extra DINO terms (docs/sdmp.md §3, the project's design). The student sees g̃2, the teacher
/// g̃1; targets use the center from before this step. Because H(t, s) is linear in t, the two
/// weighted positives are one soft target w_self·t_i + w_flip·t_p(i) (soft_ce = prob_mix here):
/// L_source = mean_i H(λ_i·t(g1)_i + (1-λ_i)·t(g1)_p(i), s(g̃2)_i),
/// L_mix    = mean_i H(t(g̃1)_i/(1+c_i) + c_i/(1+c_i)·t(g̃1)_p(i), s(g̃2)_i).
/// Both are returned unweighted.
/// </summary>
public static class SdmpDinoLoss
{
    /// <param name="teacherG1">[B, K] teacher outputs of the clean global crop 1.</param>
    /// <param name="teacherMixed1">[B, K] teacher outputs of g̃1.</param>
    /// <param name="studentMixed2">[B, K] student outputs of g̃2.</param>
    /// <param name="lambda">[B] λ of the mixed views.</param>
    public static (Tensor Source, Tensor Mix) Compute(Tensor teacherG1, Tensor teacherMixed1, Tensor studentMixed2,
        Tensor center, Tensor lambda, double studentTemp, double teacherTemp)
    {
        Validate(teacherG1, studentMixed2, lambda);
        Validate(teacherMixed1, studentMixed2, lambda);
        var lam = lambda.to(studentMixed2.dtype, studentMixed2.device);
        var logS = DinoLoss.StudentLogProbabilities(studentMixed2, studentTemp);
        var source = Term(DinoLoss.TeacherProbabilities(teacherG1, center, teacherTemp), logS, MixWeights.Source(lam));
        var mix = Term(DinoLoss.TeacherProbabilities(teacherMixed1, center, teacherTemp), logS, MixWeights.Mix(lam));
        return (source, mix);
    }

    /// <summary>
    /// L = L_dino + w_s·L_source + w_m·L_mix from the raw outputs: student rows crop-major over the
    /// clean crops, teacher rows the two clean global crops (the source term uses the first, g1).
    /// </summary>
    public static SdmpDinoTerms Total(Tensor studentOut, Tensor teacherOut, Tensor studentMixed2, Tensor teacherMixed1,
        Tensor center, Tensor lambda, double studentTemp, double teacherTemp, double weightSource, double weightMix)
    {
        long b = studentMixed2.shape[0];
        var dino = DinoLoss.Compute(studentOut, teacherOut, center, studentTemp, teacherTemp);
        var (source, mix) = Compute(teacherOut.narrow(0, 0, b), teacherMixed1, studentMixed2, center, lambda, studentTemp, teacherTemp);
        return new SdmpDinoTerms(dino + weightSource * source + weightMix * mix, dino, source, mix);
    }

    private static Tensor Term(Tensor teacherProb, Tensor studentLogProb, (Tensor Self, Tensor Flip) w)
    {
        var target = w.Self.unsqueeze(1) * teacherProb + w.Flip.unsqueeze(1) * Partner.Rows(teacherProb);
        return DinoLoss.CrossEntropy(target, studentLogProb).mean();
    }

    private static void Validate(Tensor teacher, Tensor student, Tensor lambda)
    {
        if (teacher.dim() != 2 || student.dim() != 2 || teacher.shape[0] != student.shape[0] || teacher.shape[1] != student.shape[1])
            throw new ArgumentException($"teacher [{string.Join(",", teacher.shape)}] and student [{string.Join(",", student.shape)}] outputs must both be [B, K]");
        if (lambda.dim() != 1 || lambda.shape[0] != student.shape[0])
            throw new ArgumentException($"λ must be [B] with B = {student.shape[0]}");
    }
}

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
    /// <param name="teacherG1">[B, K] teacher outputs of the clean global crop 1 ([N, K] when gathered from every rank).</param>
    /// <param name="teacherMixed1">[B, K] teacher outputs of g̃1 (likewise).</param>
    /// <param name="studentMixed2">[B, K] student outputs of g̃2 (this rank's rows).</param>
    /// <param name="lambda">[B] λ of the mixed views ([N] for the global batch).</param>
    /// <param name="rows">Where the student rows sit among the teacher rows; null: one process, all of them.</param>
    public static (Tensor Source, Tensor Mix) Compute(Tensor teacherG1, Tensor teacherMixed1, Tensor studentMixed2,
        Tensor center, Tensor lambda, double studentTemp, double teacherTemp, QueryRows? rows = null)
    {
        long b = studentMixed2.shape[0];
        var at = rows ?? QueryRows.All(b);
        Validate(teacherG1, studentMixed2, lambda, at);
        Validate(teacherMixed1, studentMixed2, lambda, at);
        var (own, partner) = at.Lambdas(lambda.to(studentMixed2.dtype, studentMixed2.device), b);
        var logS = DinoLoss.StudentLogProbabilities(studentMixed2, studentTemp);
        var source = Term(DinoLoss.TeacherProbabilities(teacherG1, center, teacherTemp), logS, MixWeights.Source(own), at);
        var mix = Term(DinoLoss.TeacherProbabilities(teacherMixed1, center, teacherTemp), logS, MixWeights.Mix(own, partner), at);
        return (source, mix);
    }

    /// <summary>
    /// L = L_dino + w_s·L_source + w_m·L_mix from the raw outputs: student rows crop-major over the
    /// clean crops, teacher rows the two clean global crops (the source term uses the first, g1).
    /// With <paramref name="rows"/>, <paramref name="teacherG1"/> and <paramref name="teacherMixed1"/>
    /// hold the global batch's rows (every rank's), the rest this rank's.
    /// </summary>
    public static SdmpDinoTerms Total(Tensor studentOut, Tensor teacherOut, Tensor studentMixed2, Tensor teacherMixed1,
        Tensor center, Tensor lambda, double studentTemp, double teacherTemp, double weightSource, double weightMix,
        QueryRows? rows = null, Tensor? teacherG1 = null)
    {
        long b = studentMixed2.shape[0];
        var dino = DinoLoss.Compute(studentOut, teacherOut, center, studentTemp, teacherTemp);
        var (source, mix) = Compute(teacherG1 ?? teacherOut.narrow(0, 0, b), teacherMixed1, studentMixed2, center, lambda, studentTemp, teacherTemp, rows);
        return new SdmpDinoTerms(dino + weightSource * source + weightMix * mix, dino, source, mix);
    }

    private static Tensor Term(Tensor teacherProb, Tensor studentLogProb, (Tensor Self, Tensor Flip) w, QueryRows rows)
    {
        long n = studentLogProb.shape[0];
        var own = rows.IsAll(n) ? teacherProb : teacherProb.index_select(0, rows.Own(n, teacherProb.device));
        var partner = rows.IsAll(n) ? Partner.Rows(teacherProb) : teacherProb.index_select(0, rows.Partners(n, teacherProb.device));
        var target = w.Self.unsqueeze(1) * own + w.Flip.unsqueeze(1) * partner;
        return DinoLoss.CrossEntropy(target, studentLogProb).mean();
    }

    private static void Validate(Tensor teacher, Tensor student, Tensor lambda, QueryRows rows)
    {
        long n = student.shape[0];
        long teacherRows = rows.IsAll(n) ? n : rows.Rows;
        if (teacher.dim() != 2 || student.dim() != 2 || teacher.shape[0] != teacherRows || teacher.shape[1] != student.shape[1])
            throw new ArgumentException($"teacher [{string.Join(",", teacher.shape)}] and student [{string.Join(",", student.shape)}] outputs must be [{teacherRows}, K] and [{n}, K]");
        if (lambda.dim() != 1 || (lambda.shape[0] != n && lambda.shape[0] != teacherRows))
            throw new ArgumentException($"λ must be [B] with B = {n}");
    }
}

using Pretrain.Config;
using Pretrain.Optim;
using TorchSharp;
using Xunit;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Pretrain.Tests.Optim;

public class OptimizerTests
{
    // Two parameter sets with identical starting values: one for our optimizer, one for TorchSharp's.
    private static (Parameter W, Parameter B) MakeParams()
    {
        var w = new Parameter(torch.linspace(-1.0, 1.2, 12).reshape(3, 4));
        var b = new Parameter(torch.tensor(new float[] { 0.5f, -0.25f, 0.125f, 2f }));
        return (w, b);
    }

    // Step-dependent gradients that are the same for both sets: loss = Σ w·cw + Σ b·cb.
    private static void Backward(Parameter w, Parameter b, int step)
    {
        using var scope = torch.NewDisposeScope();
        var cw = torch.sin(torch.arange(12, dtype: ScalarType.Float32).mul(0.7 * (step + 1))).reshape(3, 4);
        var cb = torch.cos(torch.arange(4, dtype: ScalarType.Float32).mul(1.3 * (step + 1))).mul(0.5);
        var loss = (w * cw).sum() + (b * cb * b).sum();
        loss.backward();
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tol, $"max |diff| = {diff}");
    }

    [Fact]
    public void AdamWMatchesTorchSharpAdamWOverThreeSteps()
    {
        var (w1, b1) = MakeParams();
        var (w2, b2) = MakeParams();
        using var ours = new AdamW([new ParamGroup([w1], true, false, "decay"), new ParamGroup([b1], false, false, "no_decay")], 0.9, 0.95, 1e-8);
        var refDecay = torch.optim.AdamW([w2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1);
        var refNoDecay = torch.optim.AdamW([b2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.0);
        for (int step = 0; step < 3; step++)
        {
            ours.ZeroGrad();
            refDecay.zero_grad();
            refNoDecay.zero_grad();
            Backward(w1, b1, step);
            Backward(w2, b2, step);
            ours.Step(0.01, 0.1);
            refDecay.step();
            refNoDecay.step();
        }
        AssertClose(w2, w1, 1e-6);
        AssertClose(b2, b1, 1e-6);
        Assert.Equal(3, ours.Steps);
        // The parameters really moved (a no-op optimizer would not pass).
        Assert.True((w1 - MakeParams().W).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void SgdMatchesTorchSharpSgdOverThreeSteps()
    {
        var (w1, b1) = MakeParams();
        var (w2, b2) = MakeParams();
        using var ours = new Sgd([new ParamGroup([w1], true, false, "decay"), new ParamGroup([b1], false, false, "no_decay")], momentum: 0.9);
        var refDecay = torch.optim.SGD([w2], 0.05, momentum: 0.9, dampening: 0, weight_decay: 0.01, nesterov: false);
        var refNoDecay = torch.optim.SGD([b2], 0.05, momentum: 0.9, dampening: 0, weight_decay: 0.0, nesterov: false);
        for (int step = 0; step < 3; step++)
        {
            ours.ZeroGrad();
            refDecay.zero_grad();
            refNoDecay.zero_grad();
            Backward(w1, b1, step);
            Backward(w2, b2, step);
            ours.Step(0.05, 0.01);
            refDecay.step();
            refNoDecay.step();
        }
        AssertClose(w2, w1, 1e-6);
        AssertClose(b2, b1, 1e-6);
    }

    [Fact]
    public void SkipsParametersWithoutGradientAndCountsStepsPerParameter()
    {
        var (w, b) = MakeParams();
        using var opt = new AdamW([new ParamGroup([w, b], true, false, "all")]);
        var before = b.detach().clone();
        Backward(w, b, 0);
        b.grad = null;
        opt.Step(0.01, 0.0);
        Assert.True(before.equal(b).all().item<bool>());
        var state = opt.StateTensors();
        Assert.Equal(1L, state["g0.p0.step"].item<long>());
        Assert.Equal(0L, state["g0.p1.step"].item<long>());
        Assert.Equal(1L, state["steps"].item<long>());
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    [Fact]
    public void LarsTwoStepsMatchClosedForm()
    {
        double[] w0 = [0.5, -1.0, 2.0, 0.25], bias0 = [0.3, -0.7];
        double[][] gw = [[0.1, 0.2, -0.3, 0.4], [-0.5, 0.05, 0.6, -0.2]];
        double[][] gb = [[1.0, -2.0], [0.5, 0.25]];
        double lr = 0.8, wd = 0.05, trust = 0.001, momentum = 0.9;

        var w = new Parameter(torch.tensor(w0, dtype: ScalarType.Float64).reshape(2, 2));
        var b = new Parameter(torch.tensor(bias0, dtype: ScalarType.Float64));
        using var lars = new Lars([new ParamGroup([w], true, true, "adapt"), new ParamGroup([b], true, false, "plain")], momentum, trust);

        double[] ew = [.. w0], eb = [.. bias0], muW = new double[4], muB = new double[2];
        for (int s = 0; s < 2; s++)
        {
            w.grad = torch.tensor(gw[s], dtype: ScalarType.Float64).reshape(2, 2);
            b.grad = torch.tensor(gb[s], dtype: ScalarType.Float64);
            lars.Step(lr, wd);

            var dp = ew.Select((x, i) => gw[s][i] + wd * x).ToArray();
            double q = trust * Norm(ew) / Norm(dp);
            for (int i = 0; i < 4; i++) { muW[i] = momentum * muW[i] + q * dp[i]; ew[i] -= lr * muW[i]; }
            for (int i = 0; i < 2; i++) { muB[i] = momentum * muB[i] + gb[s][i]; eb[i] -= lr * muB[i]; }
        }
        var actualW = w.detach().reshape(-1).data<double>().ToArray();
        var actualB = b.detach().data<double>().ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(ew[i], actualW[i], 1e-12);
        for (int i = 0; i < 2; i++) Assert.Equal(eb[i], actualB[i], 1e-12);
    }

    [Fact]
    public void LarsUsesRatioOneWhenParamNormIsZero()
    {
        var w = new Parameter(torch.zeros(2, 2, dtype: ScalarType.Float64));
        using var lars = new Lars([new ParamGroup([w], true, true, "adapt")]);
        w.grad = torch.tensor(new double[] { 1, -2, 3, 4 }, dtype: ScalarType.Float64).reshape(2, 2);
        lars.Step(0.5, 0.1);
        // q = 1, dp = g + wd·0 = g, μ = g, w = 0 − 0.5·g.
        Assert.Equal(new double[] { -0.5, 1.0, -1.5, -2.0 }, w.detach().reshape(-1).data<double>().ToArray());
    }

    [Fact]
    public void LarsUsesRatioOneWhenUpdateNormIsZero()
    {
        var w = new Parameter(torch.tensor(new double[] { 1, 2, 4, 8 }, dtype: ScalarType.Float64).reshape(2, 2));
        using var lars = new Lars([new ParamGroup([w], true, true, "adapt")]);
        // g = −wd·w (exact in binary) makes dp = 0: the ratio must be 1, not 0/0.
        w.grad = torch.tensor(new double[] { -0.5, -1, -2, -4 }, dtype: ScalarType.Float64).reshape(2, 2);
        lars.Step(0.5, 0.5);
        Assert.Equal(new double[] { 1, 2, 4, 8 }, w.detach().reshape(-1).data<double>().ToArray());
    }

    [Fact]
    public void StateRoundTripGivesIdenticalNextStep()
    {
        var (w1, b1) = MakeParams();
        using var first = new AdamW([new ParamGroup([w1], true, false, "decay"), new ParamGroup([b1], false, false, "no_decay")]);
        for (int step = 0; step < 2; step++)
        {
            first.ZeroGrad();
            Backward(w1, b1, step);
            first.Step(0.01, 0.05);
        }
        var saved = first.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var w2 = new Parameter(w1.detach().clone());
        var b2 = new Parameter(b1.detach().clone());
        using var second = new AdamW([new ParamGroup([w2], true, false, "decay"), new ParamGroup([b2], false, false, "no_decay")]);
        second.LoadState(saved);
        Assert.Equal(2, second.Steps);

        first.ZeroGrad();
        Backward(w1, b1, 2);
        first.Step(0.01, 0.05);
        Backward(w2, b2, 2);
        second.Step(0.01, 0.05);
        Assert.True(w1.equal(w2).all().item<bool>());
        Assert.True(b1.equal(b2).all().item<bool>());
        Assert.Equal(new[] { "g0.p0.exp_avg", "g0.p0.exp_avg_sq", "g0.p0.step", "g1.p0.exp_avg", "g1.p0.exp_avg_sq", "g1.p0.step", "steps" },
            first.StateTensors().Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void LoadStateRejectsStateOfAnotherOptimizer()
    {
        var (w, b) = MakeParams();
        using var sgd = new Sgd([new ParamGroup([w, b], true, false, "all")]);
        using var adam = new AdamW([new ParamGroup([w, b], true, false, "all")]);
        var ex = Assert.Throws<ArgumentException>(() => { adam.LoadState(sgd.StateTensors()); });
        Assert.Contains("g0.p0.exp_avg", ex.Message);
        Assert.Contains("g0.p0.momentum_buffer", ex.Message);
    }

    [Fact]
    public void RejectsParameterInTwoGroups()
    {
        var (w, _) = MakeParams();
        Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([w], true, false, "a"), new ParamGroup([w], false, false, "b")]));
    }

    [Fact]
    public void FactoryBuildsConfiguredOptimizer()
    {
        var (w, _) = MakeParams();
        ParamGroup[] groups = [new([w], true, true, "all")];
        using var adam = OptimizerFactory.Create(new OptimizerConfig { Name = "adamw" }, groups);
        using var sgd = OptimizerFactory.Create(new OptimizerConfig { Name = "sgd" }, groups);
        using var lars = OptimizerFactory.Create(new OptimizerConfig { Name = "lars" }, groups);
        Assert.IsType<AdamW>(adam);
        Assert.IsType<Sgd>(sgd);
        Assert.IsType<Lars>(lars);
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new OptimizerConfig { Name = "adam" }, groups));
    }
}

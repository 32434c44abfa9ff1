using Pretrain.Cli;
using Pretrain.Config;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Cli;

public class CliBasicsTests
{
    [Fact]
    public void VersionPrintsTheAssemblyVersion()
    {
        var r = CliResult.Run(["--version"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(CliApp.Version + Environment.NewLine, r.Out);
        Assert.StartsWith("0.1.0", r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var r = CliResult.Run(["--help"]);
        Assert.Equal(0, r.ExitCode);
        foreach (var name in new[] { "run", "linear-eval", "knn-eval", "config", "--log-level", "--version" })
            Assert.Contains(name, r.Out);

        var run = CliResult.Run(["run", "--help"]);
        Assert.Equal(0, run.ExitCode);
        foreach (var name in new[] { "--config", "--set", "--output", "--resume", "--device" })
            Assert.Contains(name, run.Out);
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var r = CliResult.Run(["frobnicate"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("pretrain: Unrecognized command or argument 'frobnicate' (see 'pretrain --help')", r.ErrLine);
    }

    [Fact]
    public void MissingRequiredOptionAndBadValuesAreUsageErrors()
    {
        var noConfig = CliResult.Run(["config", "show"]);
        Assert.Equal(2, noConfig.ExitCode);
        Assert.Equal("pretrain config show: Option '--config' is required (see 'pretrain config show --help')", noConfig.ErrLine);

        var badLevel = CliResult.Run(["config", "show", "--config", "x.yaml", "--log-level", "loud"]);
        Assert.Equal(2, badLevel.ExitCode);
        Assert.Contains("--log-level: 'loud' is not one of verbose, debug, information, warning, error (or trace, info, warn, err)", badLevel.ErrLine);

        var badDevice = CliResult.Run(["run", "--config", "x.yaml", "--device", "gpu"]);
        Assert.Equal(2, badDevice.ExitCode);
        Assert.Contains("--device must be auto, cpu, cuda or cuda:N, got 'gpu'", badDevice.ErrLine);

        Assert.Equal(2, CliResult.Run([]).ExitCode);
    }

    [Fact]
    public void ConfigValidateExitsZeroOrTwoWithTheLocatedMessage()
    {
        using var dir = new TempConfigDir();
        var good = dir.Write("good.yaml", "training:\n  epochs: 3\n");
        var ok = CliResult.Run(["config", "validate", "--config", good]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal($"{ConfigPaths.Display(good)}: valid", ok.Out.Trim());

        var bad = dir.Write("bad.yaml", "training:\n  epochs: 3\noptimizer:\n  wieght_decay: 0.1\n");
        var r = CliResult.Run(["config", "validate", "--config", bad]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"{ConfigPaths.Display(bad)}:4:3: optimizer.wieght_decay: unknown key (did you mean 'weight_decay'?)", r.ErrLine);

        var set = CliResult.Run(["config", "validate", "--config", good, "--set", "optimizer.lr=abc"]);
        Assert.Equal(2, set.ExitCode);
        Assert.Equal("--set optimizer.lr=abc: optimizer.lr: expected a number, got 'abc'", set.ErrLine);
    }

    [Fact]
    public void ConfigShowOutputLoadsBackToTheSameConfig()
    {
        using var dir = new TempConfigDir();
        dir.Write("base.yaml", "model:\n  arch: vit_tiny\n  patch_size: 4\n");
        var file = dir.Write("x.yaml", "base: base.yaml\nsdmp:\n  enabled: true\n  preset: official\n");

        var r = CliResult.Run(["config", "show", "--config", file, "--set", "training.batch_size=32"]);
        Assert.Equal(0, r.ExitCode);

        var shown = dir.Write("shown.yaml", r.Out);
        var reloaded = ConfigLoader.Load(shown);
        // The first line is a comment naming the method defaults filled in; the rest is the config.
        var lines = r.Out.Split('\n', 2);
        Assert.Equal("# method defaults applied (mocov3, adamw): model.pos_embed=sincos, model.stop_grad_patch_embed=true, model.zero_init_residual=true, optimizer.no_decay=none", lines[0]);
        Assert.Equal(lines[1], ConfigWriter.ToYaml(reloaded));
        Assert.Empty(reloaded.AppliedDefaults);
        Assert.Equal("vit_tiny", reloaded.Model.Arch);
        Assert.Equal(4, reloaded.Model.PatchSize);
        Assert.Equal(32, reloaded.Training.BatchSize);
        Assert.Equal("prob_mix", reloaded.Sdmp.Target);
    }

    [Fact]
    public void UnexpectedFailureWithoutARunFolderWritesTheTraceToATempFile()
    {
        var stderr = new StringWriter();
        Exception thrown;
        try { throw new InvalidOperationException("disk on fire"); }
        catch (Exception e) { thrown = e; }

        int code = FailureReport.Report(thrown, stderr);

        Assert.Equal(1, code);
        var m = System.Text.RegularExpressions.Regex.Match(stderr.ToString().Trim(),
            @"^error: InvalidOperationException: disk on fire \(full trace in (.+)\)$");
        Assert.True(m.Success, stderr.ToString());
        var trace = File.ReadAllText(m.Groups[1].Value);
        Assert.Contains("disk on fire", trace);
        Assert.Contains(nameof(UnexpectedFailureWithoutARunFolderWritesTheTraceToATempFile), trace);
        File.Delete(m.Groups[1].Value);
    }

    [Fact]
    public void ADiskFullFailureIsOneLineEvenWhenTheRunLogCannotBeWrittenEither()
    {
        // log.jsonl -> /dev/full: every write fails with ENOSPC, as on a full disk. The report is one
        // line with the trace in a temporary file, and closing the log afterwards does not throw.
        if (!File.Exists("/dev/full")) return;
        var dir = Directory.CreateTempSubdirectory("pretrain-devfull-").FullName;
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir, Pretrain.Cli.Logging.RunLog.FileName), "/dev/full");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var log = Pretrain.Cli.Logging.RunLog.Create(dir, Serilog.Events.LogEventLevel.Information, stdout, stderr);
            log.Logger.Information("ep 0 step 1 loss 1.0 " + new string('x', 8192));
            Exception thrown;
            try { throw new IOException("No space left on device : 'run/checkpoints/epoch-0002.tmp'"); }
            catch (Exception e) { thrown = e; }

            int code = FailureReport.Report(thrown, stderr, log);
            log.Dispose();

            Assert.Equal(1, code);
            var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var m = System.Text.RegularExpressions.Regex.Match(Assert.Single(lines),
                @"^error: IOException: No space left on device : 'run/checkpoints/epoch-0002.tmp' \(full trace in (/.+pretrain-failure-.+\.log)\)$");
            Assert.True(m.Success, stderr.ToString());
            Assert.Contains("epoch-0002.tmp", File.ReadAllText(m.Groups[1].Value));
            File.Delete(m.Groups[1].Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UserInputErrorsInsideAggregatesStayUsageErrors()
    {
        var stderr = new StringWriter();
        int code = FailureReport.Report(new AggregateException(new UserInputException("data/x.png: not an image")), stderr);
        Assert.Equal(2, code);
        Assert.Equal("data/x.png: not an image", stderr.ToString().Trim());
    }

    [Fact]
    public void NativeEnvironmentReachesTheCLibrary()
    {
        var name = "PRETRAIN_TEST_NATIVE_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(name, null);
        NativeEnvironment.SetIfUnset(name, "PASSIVE");
        Assert.Equal("PASSIVE", NativeEnvironment.GetNative(name));

        // A value the user already set is kept.
        var preset = "PRETRAIN_TEST_NATIVE_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(preset, "ACTIVE");
        NativeEnvironment.SetIfUnset(preset, "PASSIVE");
        Assert.Equal("ACTIVE", Environment.GetEnvironmentVariable(preset));
        Assert.NotEqual("PASSIVE", NativeEnvironment.GetNative(preset));
    }

    [Fact]
    public void MklDispatchOverrideIsForAmdCpusWithAvx512Only()
    {
        const string zen4 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_bf16\n";
        const string zen3 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma\n";
        const string intel = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx2 avx512f\n";
        Assert.True(MklCpuDispatch.IsAmdWithAvx512(zen4));
        Assert.False(MklCpuDispatch.IsAmdWithAvx512(zen3));
        Assert.False(MklCpuDispatch.IsAmdWithAvx512(intel));
        // A flag that only starts with avx512f is not it.
        Assert.False(MklCpuDispatch.IsAmdWithAvx512("vendor_id\t: AuthenticAMD\nflags\t\t: avx512fx\n"));
        // The library the CLI loads is next to the assembly.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "native", MklCpuDispatch.LibraryName)));
    }
}

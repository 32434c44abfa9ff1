namespace Pretrain.Cli;

/// <summary>The process exit codes of every command (documented in README).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An unexpected failure: a bug or an environment problem; the trace is in a log file.</summary>
    public const int Failure = 1;
    /// <summary>Bad command line, config or input data; the one-line message says what to fix.</summary>
    public const int UsageError = 2;
    /// <summary>Training stopped on a non-finite loss, before the optimizer step (checkpoints intact).</summary>
    public const int NonFiniteLoss = Pretrain.Training.NonFiniteLossException.ExitCode;
    public const int Interrupted = Pretrain.Training.ShutdownSignal.InterruptExitCode;
    public const int Terminated = Pretrain.Training.ShutdownSignal.TerminateExitCode;
}

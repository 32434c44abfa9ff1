using System.Runtime.InteropServices;

namespace Pretrain.Training;

/// <summary>
/// Turns the first SIGINT (Ctrl-C) or SIGTERM into a cancellation request so the trainer can finish the
/// current step, write a checkpoint and return; a second signal gets the default action and ends the
/// process at once. The exit code tells which signal stopped the run (130 for SIGINT, 143 for SIGTERM,
/// the shell's 128 + signal number convention).
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    public const int InterruptExitCode = 130;
    public const int TerminateExitCode = 143;

    readonly CancellationTokenSource source = new();
    readonly List<PosixSignalRegistration> registrations = [];
    readonly Action<PosixSignal>? onRequested;
    int requested;

    /// <summary>A signal that only <see cref="Request"/> triggers (tests, embedding).</summary>
    public ShutdownSignal(Action<PosixSignal>? onRequested = null) => this.onRequested = onRequested;

    /// <summary>SIGUSR1 (Linux number 10), which SLURM's --signal=USR1@T sends before a time limit.</summary>
    public const PosixSignal SIGUSR1 = (PosixSignal)10;

    /// <summary>Listens for SIGINT, SIGTERM and SIGUSR1 (as SIGTERM: checkpoint, exit 143) sent to this process.</summary>
    public static ShutdownSignal ListenToProcess(Action<PosixSignal>? onRequested = null)
    {
        var signal = new ShutdownSignal(onRequested);
        var signals = OperatingSystem.IsLinux() ? new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, SIGUSR1 } : [PosixSignal.SIGINT, PosixSignal.SIGTERM];
        foreach (var s in signals)
            signal.registrations.Add(PosixSignalRegistration.Create(s, signal.OnSignal));
        return signal;
    }

    /// <summary>SIGINT, SIGTERM, SIGUSR1 (PosixSignal has no name for the last).</summary>
    public static string Name(PosixSignal signal) => signal == SIGUSR1 ? "SIGUSR1" : signal.ToString();

    public CancellationToken Token => source.Token;

    public bool IsRequested => source.IsCancellationRequested;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>130 after SIGINT, else 143 (SIGTERM, SIGUSR1, or a stop another data-parallel rank asked for).</summary>
    public int ExitCode => Signal == PosixSignal.SIGINT ? InterruptExitCode : TerminateExitCode;

    /// <summary>Records the signal and cancels <see cref="Token"/>; returns false when a stop was already requested.</summary>
    public bool Request(PosixSignal signal)
    {
        if (Interlocked.Exchange(ref requested, 1) == 1) return false;
        Signal = signal;
        source.Cancel();
        onRequested?.Invoke(signal);
        return true;
    }

    void OnSignal(PosixSignalContext context)
    {
        // Cancel = true suppresses the default termination; a repeated signal keeps the default.
        context.Cancel = Request(context.Signal);
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}

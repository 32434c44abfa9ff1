using System.Runtime.InteropServices;
using Pretrain.Training;
using Xunit;

namespace Pretrain.Tests.Training;

public class ShutdownSignalTests
{
    [Fact]
    public void FirstSignalCancelsAndDecidesTheExitCode()
    {
        var seen = new List<PosixSignal>();
        using var signal = new ShutdownSignal(seen.Add);
        Assert.False(signal.IsRequested);
        Assert.Null(signal.Signal);

        Assert.True(signal.Request(PosixSignal.SIGTERM));
        Assert.False(signal.Request(PosixSignal.SIGINT));

        Assert.True(signal.Token.IsCancellationRequested);
        Assert.Equal(PosixSignal.SIGTERM, signal.Signal);
        Assert.Equal(143, signal.ExitCode);
        Assert.Equal([PosixSignal.SIGTERM], seen);
    }

    [Fact]
    public void InterruptExitsWith130()
    {
        using var signal = new ShutdownSignal();
        signal.Request(PosixSignal.SIGINT);
        Assert.Equal(130, signal.ExitCode);
    }
}

public class ShutdownSignalProcessTests
{
    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    [Fact]
    public void RealSigtermIsCaughtAndDoesNotEndTheProcess()
    {
        using var signal = ShutdownSignal.ListenToProcess();
        Assert.Equal(0, kill(Environment.ProcessId, 15));
        Assert.True(signal.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        Assert.Equal(PosixSignal.SIGTERM, signal.Signal);
        Assert.Equal(143, signal.ExitCode);
    }
}

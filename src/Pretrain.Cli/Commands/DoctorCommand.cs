using System.CommandLine;
using Pretrain.Diagnostics;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain doctor`: checks this machine for a run, one line per check (ok / warn / fail).</summary>
internal static class DoctorCommand
{
    public static Command Create(CliSession session)
    {
        var device = DeviceOption.Create("The device a run will use: auto, cpu, cuda or cuda:N (default auto)");
        var output = new Option<string?>("--output") { Description = "The folder runs will write to, for the free-disk check (default: the current folder)", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every check (name, status, value, fix)" };
        var command = new Command("doctor", "Check this machine for a run: .NET, TorchSharp/libtorch, libstdc++, CPU features, threads, CUDA, MPI/NCCL, free disk");
        command.Options.Add(device);
        command.Options.Add(output);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var report = DoctorProbe.Run(new DoctorOptions(parse.GetValue(device) ?? "auto", parse.GetValue(output)));
            if (parse.GetValue(json)) session.Out.WriteLine(report.ToJsonText());
            else session.Out.Write(report.ToText());
            return report.CanRun ? ExitCodes.Success : ExitCodes.UsageError;
        });
        return command;
    }
}

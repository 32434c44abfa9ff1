using System.CommandLine;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Data;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain data pack`: the config's data (any source) written as WebDataset tar shards.</summary>
internal static class DataPackCommand
{
    public const string DefaultShardSize = "1GB";

    public static Command Create(CliSession session)
    {
        var options = new ConfigOptions();
        var output = new Option<string>("--output", "-o") { Description = "Folder for the shards: DIR/train/train-000000.tar ... and DIR/val/... when there is a val split", Required = true, HelpName = "DIR" };
        var shardSize = new Option<string>("--shard-size") { Description = $"Target size of one shard, e.g. 1GB, 500MB, 256MiB (default {DefaultShardSize})", DefaultValueFactory = _ => DefaultShardSize, HelpName = "SIZE" };
        var progress = new ProgressOption();
        var command = new Command("pack", "Write the config's data (image folder, file list, CIFAR, IDX, shards) as tar shards in the WebDataset layout, with classes.txt and index.json");
        options.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(shardSize);
        progress.AddTo(command);
        command.SetAction(parse =>
        {
            var size = parse.GetValue(shardSize)!;
            if (!ShardPacker.TryParseSize(size, out var bytes))
                throw new UserInputException($"--shard-size '{size}': not a size (e.g. 1GB, 500MB, 256MiB, 1048576)");
            var cfg = options.Load(parse);
            var dir = Path.GetFullPath(parse.GetRequiredValue(output));
            var splits = RunBuilder.Data(cfg);
            using var log = EvalOptions.ConsoleLogger(session, parse, cfg);
            var packed = ShardPacker.Pack(splits, dir, bytes, cfg.Experiment.Seed, cfg.Data.Workers,
                cfg.Data.OnErrorPolicy == OnErrorPolicy.Fail, progress.Sink(session, parse, log), m => log.Warning("{Data:l}", m));
            foreach (var p in packed) session.Out.WriteLine(p.Line());
            session.Out.WriteLine($"train from them with: --set data.source=shards --set data.path={dir}");
            return ExitCodes.Success;
        });
        return command;
    }
}

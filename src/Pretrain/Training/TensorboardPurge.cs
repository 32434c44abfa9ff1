using Google.Protobuf;
using Pretrain.Checkpoints;

namespace Pretrain.Training;

/// <summary>
/// TensorBoard's way to forget the points a crashed run logged after the checkpoint it resumes from
/// (what PyTorch's SummaryWriter(purge_step=...) writes): an event file holding a SessionLog START event
/// at the first step to come again. TensorBoard reads a folder's event files in name order and, at that
/// event, drops every earlier-read point with step ≥ it. The file is named by the current time in ticks,
/// as TorchSharp names its own, so it sorts after the crashed run's files and before the resumed run's.
/// </summary>
public static class TensorboardPurge
{
    /// <summary>Writes the purge record; returns the file's path.</summary>
    public static string Write(string tensorboardDir, long firstRepeatedStep)
    {
        var path = Path.Combine(tensorboardDir, $"events.out.tfevents.{DateTime.Now.Ticks}.{Environment.MachineName}.{Environment.ProcessId}.purge");
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var step = checked((int)Math.Min(firstRepeatedStep, int.MaxValue));
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        WriteRecord(file, new Tensorboard.Event { WallTime = seconds, FileVersion = "brain.Event:2" }.ToByteArray());
        WriteRecord(file, new Tensorboard.Event
        {
            WallTime = seconds,
            Step = step,
            SessionLog = new Tensorboard.SessionLog { Status = Tensorboard.SessionLog.Types.SessionStatus.Start },
        }.ToByteArray());
        file.Flush(flushToDisk: true);
        return path;
    }

    /// <summary>The events of one TensorBoard event file (TFRecord framing, CRCs checked).</summary>
    public static IReadOnlyList<Tensorboard.Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Tensorboard.Event>();
        for (int at = 0; at < bytes.Length;)
        {
            var length = BitConverter.ToInt64(bytes, at);
            if (Masked(Crc32C.Compute(bytes.AsSpan(at, 8))) != BitConverter.ToUInt32(bytes, at + 8))
                throw new InvalidDataException($"{path}: bad length CRC at byte {at}");
            var data = bytes.AsSpan(at + 12, (int)length);
            if (Masked(Crc32C.Compute(data)) != BitConverter.ToUInt32(bytes, at + 12 + (int)length))
                throw new InvalidDataException($"{path}: bad data CRC at byte {at}");
            events.Add(Tensorboard.Event.Parser.ParseFrom(data.ToArray()));
            at += 12 + (int)length + 4;
        }
        return events;
    }

    // TFRecord: uint64 length, masked CRC-32C of the length, the data, masked CRC-32C of the data (little-endian).
    static void WriteRecord(Stream s, byte[] data)
    {
        var length = BitConverter.GetBytes((long)data.Length);
        s.Write(length);
        s.Write(BitConverter.GetBytes(Masked(Crc32C.Compute(length))));
        s.Write(data);
        s.Write(BitConverter.GetBytes(Masked(Crc32C.Compute(data))));
    }

    static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8U;
}

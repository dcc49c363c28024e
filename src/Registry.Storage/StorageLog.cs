using Microsoft.Extensions.Logging;

namespace Registry.Storage;

/// <summary>The storage room's log messages, with stable event ids.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Skipped the record at {Topic} offset {Offset}: {Reason}")]
    public static partial void SkippedRecord(ILogger logger, string topic, long offset, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Ignored the registration at log position {Position} ({Subject} version {Version}, id {Id}): the id or the version already means something else")]
    public static partial void IgnoredRegistration(ILogger logger, long position, string subject, int version, int id);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "This node is now the writer of the Kafka store ({Url})")]
    public static partial void BecameWriter(ILogger logger, string url);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "This node stopped writing to the Kafka store: {Reason}")]
    public static partial void SteppedDown(ILogger logger, string reason);
}

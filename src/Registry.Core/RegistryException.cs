namespace Registry.Core;

/// <summary>A failure with a Confluent error code; the HTTP layer turns it into <c>{error_code, message}</c>.</summary>
public sealed class RegistryException(int errorCode, string message) : Exception(message)
{
    public int ErrorCode { get; } = errorCode;

    /// <summary>The HTTP status: the first three digits of the code, as Confluent does.</summary>
    public int HttpStatus => ErrorCode >= 10000 ? ErrorCode / 100 : ErrorCode;
}

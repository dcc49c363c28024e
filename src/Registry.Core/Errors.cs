namespace Registry.Core;

/// <summary>Confluent's error codes and messages, in one place.</summary>
public static class Errors
{
    public const int SubjectNotFound = 40401;
    public const int VersionNotFound = 40402;
    public const int SchemaNotFound = 40403;
    public const int SubjectSoftDeleted = 40404;
    public const int SubjectNotSoftDeleted = 40405;
    public const int VersionSoftDeleted = 40406;
    public const int VersionNotSoftDeleted = 40407;
    public const int SubjectCompatibilityNotConfigured = 40408;
    public const int SubjectModeNotConfigured = 40409;
    /// <summary>Confluent 8.0.4+; 409 before (Registry:IncompatibleErrorCode=409 answers that).</summary>
    public const int IncompatibleSchema = 40901;
    public const int InvalidSchema = 42201;
    public const int InvalidVersion = 42202;
    public const int InvalidCompatibilityLevel = 42203;
    public const int InvalidMode = 42204;
    public const int OperationNotPermitted = 42205;
    public const int ReferenceExists = 42206;
    public const int IdDoesNotMatch = 42207;
    public const int InvalidSubject = 42208;
    public const int SchemaTooLarge = 42209;
    public const int InvalidRuleSet = 42210;
    public const int ContextNotEmpty = 42211;
    public const int KeyNotFound = 40470;
    public const int KeyNotSoftDeleted = 40471;
    public const int KeySoftDeleted = 40472;
    public const int KeyExists = 40971;
    public const int TooManyKeys = 40972;
    public const int KmsAccessDenied = 40370;
    public const int InvalidKey = 42271;
    public const int KeyReferenceExists = 42272;
    public const int DekGenerationFailed = 50070;
    public const int StoreError = 50001;
    public const int OperationTimeout = 50002;
    public const int RequestForwardingFailed = 50003;
    public const int UnknownLeader = 50004;
    public const int BadRequest = 400;
    public const int UnprocessableEntity = 422;
    public const int PayloadTooLarge = 413;
    public const int InternalError = 500;

    public static RegistryException SubjectNotFoundError(string subject) => new(SubjectNotFound, $"Subject '{subject}' not found.");
    public static RegistryException VersionNotFoundError(string version) => new(VersionNotFound, $"Version {version} not found.");
    public static RegistryException SchemaNotFoundError() => new(SchemaNotFound, "Schema not found");
    public static RegistryException SchemaNotFoundError(int id) => new(SchemaNotFound, $"Schema {id} not found");
    public static RegistryException SubjectSoftDeletedError(string subject) =>
        new(SubjectSoftDeleted, $"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently");
    public static RegistryException SubjectNotSoftDeletedError(string subject) =>
        new(SubjectNotSoftDeleted, $"Subject '{subject}' was not deleted first before being permanently deleted");
    public static RegistryException VersionSoftDeletedError(string subject, int version) =>
        new(VersionSoftDeleted, $"Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently");
    public static RegistryException VersionNotSoftDeletedError(string subject, int version) =>
        new(VersionNotSoftDeleted, $"Subject '{subject}' Version {version} was not deleted first before being permanently deleted");
    public static RegistryException CompatibilityNotConfiguredError(string subject) =>
        new(SubjectCompatibilityNotConfigured, $"Subject '{subject}' does not have subject-level compatibility configured");
    public static RegistryException ModeNotConfiguredError(string subject) =>
        new(SubjectModeNotConfigured, $"Subject '{subject}' does not have subject-level mode configured");
    public static RegistryException InvalidSchemaError(string message) => new(InvalidSchema, message);

    /// <summary>A reference to a subject version that is not registered (or that the caller may not read: the same answer).</summary>
    public static RegistryException MissingReferenceError(string name, string subject, int version) =>
        InvalidSchemaError($"Invalid schema: the reference '{Printable(name)}' names subject '{Printable(subject)}' version {version}, which is not registered");
    public static RegistryException InvalidVersionError(string version) =>
        new(InvalidVersion, $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    public static RegistryException InvalidCompatibilityLevelError() =>
        new(InvalidCompatibilityLevel, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
    public static RegistryException InvalidModeError() =>
        new(InvalidMode, "Invalid mode. Valid values are READWRITE, READONLY, IMPORT and FORWARD.");
    public static RegistryException NotPermittedError(string message) => new(OperationNotPermitted, message);
    public static RegistryException ReferenceExistsError(string what) => new(ReferenceExists, $"One or more references exist to the schema {what}.");
    public static RegistryException IdMismatchError(string detail) =>
        new(IdDoesNotMatch, $"The ID of an imported schema does not match the existing ID: {detail}");
    public static RegistryException InvalidSubjectError(string subject, string reason) =>
        new(InvalidSubject, $"The specified subject '{Printable(subject)}' is not a valid: {reason}.");
    public static RegistryException SchemaTooLargeError(int size, int limit) =>
        new(SchemaTooLarge, $"Register operation failed because schema is too large ({size} characters; the limit is {limit})");
    public static RegistryException InvalidRuleSetError(string message) => new(InvalidRuleSet, message);
    public static RegistryException StoreErrorOf(string message) => new(StoreError, message);
    public static RegistryException KeyNotFoundError(string name) => new(KeyNotFound, $"Key '{Printable(name)}' not found");
    public static RegistryException KeyNotSoftDeletedError(string name) => new(KeyNotSoftDeleted, $"Key '{Printable(name)}' was not deleted first before being permanently deleted");
    public static RegistryException KeySoftDeletedError(string name) => new(KeySoftDeleted, $"Key '{Printable(name)}' must be undeleted first");
    public static RegistryException KeyExistsError(string name) => new(KeyExists, $"Key '{Printable(name)}' already exists; use a different value");
    public static RegistryException TooManyKeysError(int limit) => new(TooManyKeys, $"A maximum of {limit} keys already exist");
    public static RegistryException InvalidKeyError(string field) => new(InvalidKey, $"Invalid or missing value for field '{field}' of key");
    public static RegistryException KeyReferenceExistsError(string name) => new(KeyReferenceExists, $"One or more references exist to the key '{Printable(name)}'");
    public static RegistryException TimeoutError(string message) => new(OperationTimeout, message);

    /// <summary>Subject names in messages: control characters escaped and length capped, so an error never echoes a 10 KB name.</summary>
    public static string Printable(string text, int max = 200)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        if (text.Length > max) sb.Append("...");
        return sb.ToString();
    }
}

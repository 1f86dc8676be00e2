namespace Kiln.Core.Common;

/// <summary>
/// What kind of failure an <see cref="Error"/> is. Core says which; the web layer alone turns a kind into an HTTP
/// status (<c>Problems</c> in Kiln.Web), so a CLI, a page and the API agree on the meaning without Core knowing HTTP.
/// </summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or breaks a rule about its own shape (HTTP 400).</summary>
    Invalid,
    /// <summary>The caller is not signed in, or its credentials are wrong (401).</summary>
    Unauthenticated,
    /// <summary>The caller lacks the credits the work needs (402).</summary>
    PaymentRequired,
    /// <summary>The caller may not do this (403).</summary>
    Forbidden,
    /// <summary>The thing does not exist, or belongs to someone else (404).</summary>
    NotFound,
    /// <summary>The thing's current state does not allow this (409).</summary>
    Conflict,
    /// <summary>The thing existed but is gone for good: a used or expired one-time link (410).</summary>
    Gone,
    /// <summary>The content is larger than allowed (413).</summary>
    TooLarge,
    /// <summary>The content is of a type that is not supported (415).</summary>
    UnsupportedType,
    /// <summary>Well-formed, but its content cannot be processed (422).</summary>
    Unprocessable,
    /// <summary>Too many at once or too fast; try again later (429).</summary>
    TooManyRequests,
    /// <summary>A service Kiln depends on (a payment provider) failed (502).</summary>
    UpstreamFailed,
    /// <summary>Kiln's own database is briefly unreachable (a restart, a failover); the same request will work soon (503).</summary>
    Unavailable,
}

/// <summary>
/// An expected failure of a use case. <see cref="Code"/> is stable and documented; <see cref="Kind"/> says what sort of
/// failure it is, and the web layer turns both into an RFC 9457 problem detail. Exceptions are kept for bugs and outages.
/// </summary>
public sealed record Error(string Code, string Message, ErrorKind Kind = ErrorKind.Invalid)
{
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public static Error NotFound(string what) => new("not_found", $"{what} was not found.", ErrorKind.NotFound);
    public static Error NotFound(string code, string message) => new(code, message, ErrorKind.NotFound);
    public static Error Invalid(string code, string message) => new(code, message, ErrorKind.Invalid);
    public static Error Unauthenticated(string code, string message) => new(code, message, ErrorKind.Unauthenticated);
    public static Error Conflict(string code, string message) => new(code, message, ErrorKind.Conflict);
    public static Error Forbidden(string code, string message) => new(code, message, ErrorKind.Forbidden);
    public static Error TooLarge(string code, string message) => new(code, message, ErrorKind.TooLarge);
    public static Error UnsupportedType(string code, string message) => new(code, message, ErrorKind.UnsupportedType);
    public static Error Unprocessable(string code, string message) => new(code, message, ErrorKind.Unprocessable);
    public static Error TooManyRequests(string code, string message) => new(code, message, ErrorKind.TooManyRequests);
    public static Error UpstreamFailed(string code, string message) => new(code, message, ErrorKind.UpstreamFailed);
    /// <summary>What every caller is told while the database is unreachable (the web host answers 503 with Retry-After).</summary>
    public static Error DatabaseUnavailable { get; } =
        new("database_unavailable", "The database is briefly unavailable: nothing was lost, try again in a moment.", ErrorKind.Unavailable);
    public static Error InsufficientCredits(long needed, long available) =>
        new("insufficient_credits", $"This job needs {needed} credits but only {available} are available.", ErrorKind.PaymentRequired)
        {
            Extensions = new Dictionary<string, object?> { ["needed"] = needed, ["available"] = available },
        };
}

/// <summary>Either a value or an <see cref="Error"/>.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Error? error) { Value = value; Error = error; }
    public T? Value { get; }
    public Error? Error { get; }
    public bool IsSuccess => Error is null;
    public static implicit operator Result<T>(T value) => new(value, null);
    public static implicit operator Result<T>(Error error) => new(default, error);
}

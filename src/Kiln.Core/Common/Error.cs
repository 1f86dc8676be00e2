namespace Kiln.Core.Common;

/// <summary>
/// An expected failure of a use case. <see cref="Code"/> is stable and documented; the web layer turns it into an
/// RFC 9457 problem detail with <see cref="Status"/>. Exceptions are kept for bugs and outages.
/// </summary>
public sealed record Error(string Code, string Message, int Status = 400)
{
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    public static Error NotFound(string what) => new("not_found", $"{what} was not found.", 404);
    public static Error Invalid(string code, string message) => new(code, message, 400);
    public static Error Conflict(string code, string message) => new(code, message, 409);
    public static Error Forbidden(string code, string message) => new(code, message, 403);
    public static Error InsufficientCredits(long needed, long available) =>
        new("insufficient_credits", $"This job needs {needed} credits but only {available} are available.", 402)
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

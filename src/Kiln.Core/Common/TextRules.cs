namespace Kiln.Core.Common;

/// <summary>
/// Rules for text people choose and others read: names must not carry control characters or the bidirectional
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make "invoice.exe" read as "exe.eciovni" in a member
/// list or an email. Email addresses follow RFC 5321's limits: 254 characters in all, 64 before the @.
/// </summary>
public static class TextRules
{
    public const int MaxEmail = 254;
    public const int MaxEmailLocalPart = 64;

    public static bool HasUnsafeCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c)) return true;
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C') return true;
        }
        return false;
    }

    /// <summary>Null when <paramref name="name"/> is fine, else the error saying what is wrong with it.</summary>
    public static Error? CheckName(string name, string code, string what, int max)
    {
        if (name.Length == 0 || name.Length > max) return Error.Invalid(code, $"A {what} has 1 to {max} characters.");
        if (HasUnsafeCharacters(name))
            return Error.Invalid(code, $"A {what} cannot contain control characters or text-direction overrides; type it again without them.");
        return null;
    }

    /// <summary>Null when <paramref name="email"/> (trimmed) has the shape of an address within the RFC 5321 limits.</summary>
    public static Error? CheckEmail(string email)
    {
        var at = email.LastIndexOf('@');
        if (email.Length > MaxEmail) return Error.Invalid("invalid_email", $"An email address has at most {MaxEmail} characters.");
        if (at <= 0 || at == email.Length - 1 || email.IndexOf('@') != at) return Error.Invalid("invalid_email", "Enter a valid email address.");
        if (at > MaxEmailLocalPart) return Error.Invalid("invalid_email", $"The part of an email address before the @ has at most {MaxEmailLocalPart} characters.");
        if (HasUnsafeCharacters(email) || email.Any(char.IsWhiteSpace)) return Error.Invalid("invalid_email", "Enter a valid email address.");
        return null;
    }
}

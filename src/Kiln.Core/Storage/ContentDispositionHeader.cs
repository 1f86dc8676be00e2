using System.Text;

namespace Kiln.Core.Storage;

/// <summary>
/// <c>attachment</c> with an ASCII fallback and an RFC 5987 <c>filename*</c>, per RFC 6266, so any browser saves
/// the file under its real (possibly non-ASCII) name and no name can break out of the header.
/// </summary>
public static class ContentDispositionHeader
{
    public static string Attachment(string fileName)
    {
        var name = string.IsNullOrWhiteSpace(fileName) ? "download" : fileName;
        return $"attachment; filename=\"{AsciiFallback(name)}\"; filename*=UTF-8''{Rfc5987Encode(name)}";
    }

    internal static string AsciiFallback(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            // Quotes, backslashes and controls would end or corrupt the quoted-string; non-ASCII is not allowed in it.
            sb.Append(c is < ' ' or > '~' or '"' or '\\' or '%' ? '_' : c);
        }
        return sb.ToString();
    }

    internal static string Rfc5987Encode(string name)
    {
        var sb = new StringBuilder(name.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            // attr-char from RFC 5987; everything else is percent-encoded.
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || "!#$&+-.^_`|~"u8.Contains(b))
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2"));
            }
        }
        return sb.ToString();
    }
}

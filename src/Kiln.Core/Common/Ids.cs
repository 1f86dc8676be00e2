using System.Security.Cryptography;

namespace Kiln.Core.Common;

/// <summary>One place for ids: version 7 GUIDs sort by creation time, which keeps B-tree inserts cheap.</summary>
public static class Ids
{
    public static Guid New() => Guid.CreateVersion7();

    /// <summary>A URL-safe random token of <paramref name="bytes"/> bytes.</summary>
    public static string Token(int bytes = 24) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

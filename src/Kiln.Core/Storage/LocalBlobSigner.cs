using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Storage;

/// <summary>HMAC-SHA256 signatures for the local store's <c>/blobs</c> URLs; the signature is the only authorization.</summary>
public sealed class LocalBlobSigner
{
    private const string KeyFileName = "blob-signing.key";
    private readonly byte[] _key;

    public LocalBlobSigner(byte[] key)
    {
        if (key.Length < 32) throw new ArgumentException("The blob signing key must be at least 32 bytes.", nameof(key));
        _key = key;
    }

    /// <summary>
    /// Uses the configured key, or a generated one persisted next to the blob root, so URLs issued before a restart
    /// keep working and no secret has to live in configuration for the embedded setup.
    /// </summary>
    public static LocalBlobSigner FromOptions(BlobStoreOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey)) return new LocalBlobSigner(Convert.FromBase64String(options.SigningKey));

        var root = Path.GetFullPath(options.LocalPath);
        var dataDir = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? root;
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(dataDir, KeyFileName);
        if (File.Exists(file)) return new LocalBlobSigner(Convert.FromBase64String(File.ReadAllText(file).Trim()));

        var key = RandomNumberGenerator.GetBytes(32);
        var temp = file + "." + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            // Another process may have raced us to create it; theirs wins so both use the same key.
            File.Move(temp, file, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
        }
        return new LocalBlobSigner(Convert.FromBase64String(File.ReadAllText(file).Trim()));
    }

    public string Sign(params string[] fields)
    {
        var mac = HMACSHA256.HashData(_key, Canonical(fields));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public bool Verify(string? signature, params string[] fields)
    {
        if (string.IsNullOrEmpty(signature) || signature.Length > 100) return false;
        byte[] given;
        try
        {
            var b64 = signature.Replace('-', '+').Replace('_', '/');
            given = Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
        }
        catch (FormatException)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(_key, Canonical(fields));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    // Length-prefixed fields: no field can be shifted into its neighbour to forge a different request.
    private static byte[] Canonical(string[] fields)
    {
        var sb = new StringBuilder();
        foreach (var f in fields) sb.Append(f.Length).Append(':').Append(f).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}

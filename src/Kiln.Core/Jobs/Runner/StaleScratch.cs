using System.Text.RegularExpressions;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Scratch directories (<c>{jobId:N}-a{attempt}</c>) are removed when their attempt ends; a worker that was killed
/// leaves its inputs and intermediates behind. A runner that starts removes those whose last change is older than
/// <see cref="MaxAge"/>: no attempt should run that long (pipeline timeouts default to 30 min), and several
/// workers may share the directory, so younger ones may still be in use.
/// </summary>
public static partial class StaleScratch
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    /// <summary>Deletes attempt directories under <paramref name="root"/> last written before <paramref name="cutoffUtc"/>; returns how many.</summary>
    public static int Delete(string root, DateTime cutoffUtc)
    {
        if (!Directory.Exists(root)) return 0;
        var deleted = 0;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            try
            {
                if (!AttemptDir().IsMatch(Path.GetFileName(dir)) || Directory.GetLastWriteTimeUtc(dir) >= cutoffUtc) continue;
                Directory.Delete(dir, recursive: true);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return deleted;
    }

    [GeneratedRegex("^[0-9a-f]{32}-a[0-9]+$")]
    private static partial Regex AttemptDir();
}

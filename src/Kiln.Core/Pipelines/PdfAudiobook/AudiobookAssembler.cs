using System.Globalization;
using System.Text;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.PdfAudiobook;

/// <summary>One narrated chapter: its title and WAV, and where it starts and ends in the book.</summary>
public sealed record NarratedChapter(int Index, string Title, string WavPath, double Start, double End);

/// <summary>
/// Turns narrated chapter WAVs into the book: one WAV with a pause between chapters, normalized to audiobook loudness
/// (−18 LUFS integrated, true peak ≤ −3 dBTP), an M4B with chapter marks and cover art,
/// and one MP3 per chapter cut from the normalized book so every chapter sounds the same.
/// </summary>
public sealed class AudiobookAssembler(IProcessRunner runner, IAudioTools audio)
{
    private const double GapSeconds = 1.2;
    private const int SampleRate = 44100;
    private static readonly TimeSpan Long = TimeSpan.FromHours(2);

    /// <summary>Joins the chapters with a pause after each; returns the book WAV and each chapter's span in it.</summary>
    public async Task<(string Wav, IReadOnlyList<NarratedChapter> Chapters)> JoinAsync(IReadOnlyList<(int Index, string Title, string Wav)> chapters, string dir, CancellationToken ct)
    {
        var gap = Path.Combine(dir, "gap.wav");
        await Ffmpeg(ct, "-f", "lavfi", "-i", $"anullsrc=r={SampleRate}:cl=mono", "-t", Num(GapSeconds), "-ar", Num(SampleRate), "-ac", "1", "-c:a", "pcm_s16le", gap);
        var list = new StringBuilder();
        var spans = new List<NarratedChapter>();
        var at = 0.0;
        foreach (var (index, title, wav) in chapters)
        {
            var seconds = await DurationAsync(wav, ct);
            spans.Add(new NarratedChapter(index, title, wav, at, at + seconds));
            at += seconds + GapSeconds;
            list.Append("file '").Append(Escape(wav)).Append("'\nfile '").Append(Escape(gap)).Append("'\n");
        }
        var listFile = Path.Combine(dir, "book.concat.txt");
        await File.WriteAllTextAsync(listFile, list.ToString(), ct);
        var book = Path.Combine(dir, "book-raw.wav");
        // Resampled on the way in: chapter WAVs from different engines may differ in rate and channels.
        await Ffmpeg(ct, "-f", "concat", "-safe", "0", "-i", listFile, "-ar", Num(SampleRate), "-ac", "1", "-c:a", "pcm_s16le", book);
        return (book, spans);
    }

    /// <summary>Applies the reading speed, then normalizes to audiobook loudness (the shared <see cref="IAudioTools.NormalizeAsync"/>).</summary>
    public async Task<string> NormalizeAsync(string wav, double speed, string dir, CancellationToken ct)
    {
        if (Math.Abs(speed - 1) >= 0.001)
        {
            var paced = Path.Combine(dir, "book-paced.wav");
            await Ffmpeg(ct, "-i", wav, "-af", $"atempo={Num(speed)}", "-ar", Num(SampleRate), "-ac", "1", "-c:a", "pcm_s16le", paced);
            wav = paced;
        }
        var output = Path.Combine(dir, "book.wav");
        // The master keeps a decibel more headroom than the target: AAC and MP3 encoding raise inter-sample peaks.
        await audio.NormalizeAsync(wav, output, LoudnessTarget.Audiobook with { TruePeakDbtp = LoudnessTarget.Audiobook.TruePeakDbtp - 1 }, ct);
        return output;
    }

    /// <summary>Lowers the true-peak ceiling of the master (a limiter run at 192 kHz, so inter-sample peaks are seen), for
    /// when the AAC encoder overshot it: a rare peak in hours of speech; the limiter leaves the loudness as it is.</summary>
    public async Task<string> LimitAsync(string wav, double ceilingDbtp, string dir, CancellationToken ct)
    {
        var output = Path.Combine(dir, $"book-limited-{Math.Abs(ceilingDbtp):0.0}.wav");
        await Ffmpeg(ct, "-i", wav, "-af", $"aresample=192000,alimiter=limit={Num(Math.Pow(10, ceilingDbtp / 20))}:attack=1:release=50:level=false,aresample={Num(SampleRate)}",
            "-ar", Num(SampleRate), "-ac", "1", "-c:a", "pcm_s16le", output);
        return output;
    }

    /// <summary>An M4B (AAC in MP4, "M4B " brand) with a chapter atom per chapter, the title and author, and the cover.</summary>
    public async Task WriteM4bAsync(string wav, IReadOnlyList<NarratedChapter> chapters, double speed, string title, string? author, string? coverPng, string output, CancellationToken ct)
    {
        var meta = new StringBuilder(";FFMETADATA1\n").Append("title=").Append(MetaEscape(title)).Append('\n');
        if (author is not null) meta.Append("artist=").Append(MetaEscape(author)).Append('\n');
        meta.Append("genre=Audiobook\n");
        foreach (var c in chapters)
            meta.Append("[CHAPTER]\nTIMEBASE=1/1000\nSTART=").Append(Ms(c.Start / speed)).Append("\nEND=").Append(Ms(c.End / speed))
                .Append("\ntitle=").Append(MetaEscape(c.Title)).Append('\n');
        var metaFile = output + ".ffmeta";
        await File.WriteAllTextAsync(metaFile, meta.ToString(), ct);
        var args = new List<string> { "-i", wav, "-i", metaFile };
        if (coverPng is not null) args.AddRange(["-i", coverPng]);
        args.AddRange(["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]);
        if (coverPng is not null) args.AddRange(["-map", "2:v", "-c:v", "png", "-disposition:v", "attached_pic"]);
        // 96 kb/s: at 64 kb/s AAC raised the true peak of espeak speech by 2 dB, past the −3 dBTP ceiling; at 96 kb/s by 0.2 dB.
        args.AddRange(["-c:a", "aac", "-b:a", "96k", "-brand", "M4B ", "-f", "mp4", output]);
        await Ffmpeg(ct, [.. args]);
        File.Delete(metaFile);
    }

    /// <summary>Cuts one chapter out of the normalized book as an MP3 with its title tag.</summary>
    public Task WriteChapterMp3Async(string wav, NarratedChapter chapter, double speed, string bookTitle, string output, CancellationToken ct) =>
        Ffmpeg(ct, "-ss", Num(chapter.Start / speed), "-to", Num(chapter.End / speed), "-i", wav, "-c:a", "libmp3lame", "-q:a", "5", "-id3v2_version", "3",
            "-metadata", $"title={chapter.Title}", "-metadata", $"album={bookTitle}", "-metadata", $"track={chapter.Index}", output);

    /// <summary>The first page rendered as a square-ish PNG for the cover, or null when it cannot be rendered.</summary>
    public async Task<string?> RenderCoverAsync(string pdf, string dir, CancellationToken ct)
    {
        var stem = Path.Combine(dir, "cover");
        var result = await runner.RunAsync(new ProcessSpec("pdftoppm", ["-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to", "1400", pdf, stem])
            { Timeout = TimeSpan.FromMinutes(1), InstallHint = "install poppler-utils" }, ct);
        return result.Succeeded && File.Exists(stem + ".png") ? stem + ".png" : null;
    }

    public Task<double> DurationAsync(string path, CancellationToken ct) => audio.GetDurationSecondsAsync(path, ct);

    private async Task Ffmpeg(CancellationToken ct, params string[] args) =>
        ToolFailedException.EnsureSuccess(await runner.RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. args])
            { Timeout = Long, InstallHint = "install ffmpeg" }, ct), "ffmpeg");

    private static string Num(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
    private static string Ms(double seconds) => ((long)Math.Round(seconds * 1000)).ToString(CultureInfo.InvariantCulture);
    private static string Escape(string path) => Path.GetFullPath(path).Replace("'", "'\\''", StringComparison.Ordinal);
    private static string MetaEscape(string s) => new StringBuilder(s).Replace("\\", "\\\\").Replace("=", "\\=").Replace(";", "\\;").Replace("#", "\\#").Replace("\n", " ").ToString();
}

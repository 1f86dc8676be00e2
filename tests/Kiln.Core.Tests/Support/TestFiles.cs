using System.Diagnostics;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>Small, valid sample files for upload and pipeline tests, built by hand or with the system tools.</summary>
public static class TestFiles
{
    /// <summary>A minimal valid PDF with <paramref name="pages"/> pages (see <see cref="TestPdf"/>).</summary>
    public static byte[] Pdf(int pages = 1, string text = "Hello from Kiln") =>
        TestPdf.Create(Enumerable.Range(1, pages).Select(i => $"{text} - page {i}").ToArray());

    /// <summary>The first half of a valid PDF: header intact, xref and trailer gone.</summary>
    public static byte[] TruncatedPdf() => Pdf(2)[..(Pdf(2).Length / 2)];

    /// <summary>A PDF that needs the user password "u" (AES-256), made with qpdf.</summary>
    public static byte[] EncryptedPdf()
    {
        var dir = Directory.CreateTempSubdirectory("kiln-pdf-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.pdf");
            var output = Path.Combine(dir.FullName, "out.pdf");
            File.WriteAllBytes(input, Pdf());
            Run("qpdf", "--encrypt", "u", "o", "256", "--", input, output);
            return File.ReadAllBytes(output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A mono 16-bit WAV sine tone of <paramref name="seconds"/> seconds, made with ffmpeg.</summary>
    public static byte[] Wav(int seconds = 1)
    {
        var dir = Directory.CreateTempSubdirectory("kiln-wav-");
        try
        {
            var output = Path.Combine(dir.FullName, "tone.wav");
            Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"sine=d={seconds}", "-ac", "1", output);
            return File.ReadAllBytes(output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A small MP4 (160×120 test picture, 10 fps) whose audio is espeak-ng speaking <paramref name="sentences"/> with a
    /// second of silence between them: a few seconds of video that speech recognition splits into one segment per sentence.
    /// </summary>
    public static byte[] SpokenVideo(params string[] sentences)
    {
        var dir = Directory.CreateTempSubdirectory("kiln-spoken-");
        try
        {
            var speech = Path.Combine(dir.FullName, "speech.wav");
            var video = Path.Combine(dir.FullName, "talk.mp4");
            Run("espeak-ng", "-m", "-w", speech, string.Join(" <break time=\"1s\"/> ", sentences.Select(System.Security.SecurityElement.Escape)));
            Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-i", speech, "-shortest",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", video);
            return File.ReadAllBytes(video);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static byte[] Srt() => Encoding.UTF8.GetBytes("1\n00:00:01,000 --> 00:00:02,500\nHéllo, wörld\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n");

    public static byte[] Vtt() => Encoding.UTF8.GetBytes("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\n");

    private static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {tool}; install it (apt-get install -y qpdf ffmpeg poppler-utils).");
        var stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({p.ExitCode}): {stderr}");
    }
}

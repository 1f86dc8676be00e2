using System.Diagnostics;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>Small, valid sample files for upload and pipeline tests, built by hand or with the system tools.</summary>
public static class TestFiles
{
    /// <summary>A minimal valid PDF with <paramref name="pages"/> pages and a correct cross-reference table.</summary>
    public static byte[] Pdf(int pages = 1, string text = "Hello from Kiln")
    {
        var objects = new List<string>
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            $"<< /Type /Pages /Kids [{string.Join(' ', Enumerable.Range(0, pages).Select(i => $"{5 + 2 * i} 0 R"))}] /Count {pages} >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        };
        // Object 4 is a placeholder keeping page objects at odd numbers 5, 7, … with their content stream next to them.
        objects.Add("<< >>");
        for (var i = 0; i < pages; i++)
        {
            var content = $"BT /F1 18 Tf 40 100 Td ({text} - page {i + 1}) Tj ET";
            objects.Add($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 3 0 R >> >> /Contents {6 + 2 * i} 0 R >>");
            objects.Add($"<< /Length {Encoding.ASCII.GetByteCount(content)} >>\nstream\n{content}\nendstream");
        }

        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(i + 1).Append(" 0 obj\n").Append(objects[i]).Append("\nendobj\n");
        }
        var xref = pdf.Length;
        pdf.Append("xref\n0 ").Append(objects.Count + 1).Append('\n').Append("0000000000 65535 f \n");
        foreach (var offset in offsets) pdf.Append(offset.ToString("D10")).Append(" 00000 n \n");
        pdf.Append("trailer\n<< /Size ").Append(objects.Count + 1).Append(" /Root 1 0 R >>\nstartxref\n").Append(xref).Append("\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }

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

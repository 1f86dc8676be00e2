using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>
/// Decodes a file with ffmpeg to 8 kHz mono 16-bit PCM on a pipe and measures it as it streams past (nothing is held
/// in memory but the measurements): 50 ms RMS windows (noise floor, speech level, pauses) and, when asked, min/max
/// waveform peaks. An optional filter runs in the same decode (the ebur128 meter), its log kept in
/// <see cref="PcmScan.Log"/>. <see cref="IProcessRunner"/> captures text only, hence the process of its own here.
/// </summary>
internal static class PcmReader
{
    public const int SampleRate = 8000;
    public const int WindowSamples = SampleRate / 20;
    public const double WindowSeconds = (double)WindowSamples / SampleRate;
    private const int MaxLogChars = 64 * 1024;

    /// <param name="peakPixels">Waveform points wanted over <paramref name="expectedSeconds"/>; 0 for none.</param>
    /// <param name="filter">An ffmpeg audio filter run before the downmix (e.g. <c>ebur128=peak=true:framelog=verbose</c>).</param>
    public static async Task<PcmScan> ScanAsync(string input, double expectedSeconds, int peakPixels, string? filter, CancellationToken ct)
    {
        var spp = peakPixels > 0 ? Math.Max(1, (int)Math.Ceiling(Math.Max(expectedSeconds, 0.001) * SampleRate / peakPixels)) : 0;
        var psi = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // "-vn": a video's picture is never decoded, only its sound.
        foreach (var a in (string[])["-nostdin", "-hide_banner", "-nostats", "-i", input, "-vn", "-map", "0:a:0"]) psi.ArgumentList.Add(a);
        var chain = filter is null ? "" : filter + ",";
        // The meter sees the file as it is; the pipe gets the mono 8 kHz mix.
        foreach (var a in (string[])["-af", chain + "aresample=" + SampleRate + ",aformat=sample_fmts=s16:channel_layouts=mono", "-f", "s16le", "-"]) psi.ArgumentList.Add(a);

        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Win32Exception ex) { throw new ToolNotFoundException("ffmpeg", "install ffmpeg", ex); }
        process.StandardInput.Close();

        var log = new StringBuilder();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                log.Append(line).Append('\n');
                // The summaries come last: keep the tail.
                if (log.Length > 2 * MaxLogChars) log.Remove(0, log.Length - MaxLogChars);
            }
        }, CancellationToken.None);

        var windows = new List<float>(Math.Max(16, (int)(expectedSeconds / WindowSeconds) + 16));
        var peaks = new List<sbyte>(peakPixels > 0 ? peakPixels * 2 + 8 : 0);
        long samples = 0;
        double sumSquares = 0;
        var inWindow = 0;
        int min = 0, max = 0, inPixel = 0;
        var buffer = new byte[64 * 1024];
        var carry = 0;
        try
        {
            var stream = process.StandardOutput.BaseStream;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(carry, buffer.Length - carry), ct)) > 0)
            {
                var available = carry + read;
                var whole = available & ~1;
                for (var i = 0; i < whole; i += 2)
                {
                    var s = BinaryPrimitives.ReadInt16LittleEndian(buffer.AsSpan(i, 2));
                    sumSquares += (double)s * s;
                    if (++inWindow == WindowSamples)
                    {
                        windows.Add(ToDb(sumSquares / WindowSamples));
                        sumSquares = 0;
                        inWindow = 0;
                    }
                    if (spp > 0)
                    {
                        if (inPixel == 0) { min = s; max = s; }
                        else { if (s < min) min = s; if (s > max) max = s; }
                        if (++inPixel == spp)
                        {
                            peaks.Add(To8Bit(min));
                            peaks.Add(To8Bit(max));
                            inPixel = 0;
                        }
                    }
                }
                samples += whole / 2;
                carry = available - whole;
                if (carry > 0) buffer[0] = buffer[whole];
            }
            if (inWindow >= WindowSamples / 2) windows.Add(ToDb(sumSquares / inWindow));
            if (spp > 0 && inPixel > 0) { peaks.Add(To8Bit(min)); peaks.Add(To8Bit(max)); }
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }
        await stderr;
        return new PcmScan(process.ExitCode, samples, [.. windows], [.. peaks], spp, log.ToString());
    }

    private static float ToDb(double meanSquare) => meanSquare <= 0 ? -120f : (float)Math.Max(-120, 10 * Math.Log10(meanSquare / (32768.0 * 32768.0)));

    private static sbyte To8Bit(int sample) => (sbyte)Math.Clamp((int)Math.Round(sample / 256.0), -128, 127);
}

/// <param name="WindowDb">RMS level of each 50 ms window in dBFS (−120 for digital silence).</param>
/// <param name="Peaks">min, max pairs (8-bit) of each <paramref name="SamplesPerPixel"/> samples.</param>
/// <param name="Log">The tail of ffmpeg's log (filter summaries, errors).</param>
public sealed record PcmScan(int ExitCode, long Samples, float[] WindowDb, sbyte[] Peaks, int SamplesPerPixel, string Log)
{
    public double DurationSeconds => (double)Samples / PcmReader.SampleRate;

    /// <summary>The last line ffmpeg complained with, for the job log (never shown as a path to users).</summary>
    public string LastError => Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}

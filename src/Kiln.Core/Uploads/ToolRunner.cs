using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

public sealed record ToolResult(int ExitCode, string StdOut, string StdErr, bool TimedOut);

/// <summary>
/// Runs inspection tools (qpdf, pdfinfo, ffprobe) on untrusted files: arguments are passed as a list (never a
/// shell string), output is capped and a hung tool is killed with its children after <see cref="UploadOptions.ToolTimeout"/>.
/// </summary>
public sealed class ToolRunner(IOptions<UploadOptions> options)
{
    private const int MaxCapture = 1024 * 1024;

    public async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = ReadCappedAsync(process.StandardOutput);
        var stderr = ReadCappedAsync(process.StandardError);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return new ToolResult(-1, await stdout, await stderr, TimedOut: true);
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr, TimedOut: false);
    }

    private static async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var sb = new StringBuilder();
        var buffer = new char[8192];
        int read;
        // Keep draining past the cap so a chatty tool never blocks on a full pipe.
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (sb.Length < MaxCapture) sb.Append(buffer, 0, Math.Min(read, MaxCapture - sb.Length));
        }
        return sb.ToString();
    }
}

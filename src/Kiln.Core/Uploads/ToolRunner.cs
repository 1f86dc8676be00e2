using Kiln.Core.Media;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

public sealed record ToolResult(int ExitCode, string StdOut, string StdErr, bool TimedOut);

/// <summary>
/// Runs inspection tools (qpdf, pdfinfo, ffprobe) on untrusted files through the shared <see cref="IProcessRunner"/>
/// (argument lists, capped output, the whole process tree killed on timeout), bounded by
/// <see cref="UploadOptions.ToolTimeout"/>. A timeout is a result here, not an exception: the upload is rejected.
/// </summary>
public sealed class ToolRunner(IProcessRunner processes, IOptions<UploadOptions> options)
{
    public async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct)
    {
        try
        {
            var result = await processes.RunAsync(new ProcessSpec(fileName, arguments.ToList()) { Timeout = options.Value.ToolTimeout }, ct);
            return new ToolResult(result.ExitCode, result.Stdout, result.Stderr, TimedOut: false);
        }
        catch (ToolTimeoutException)
        {
            return new ToolResult(-1, "", "", TimedOut: true);
        }
    }
}

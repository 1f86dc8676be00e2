namespace Kiln.Core.Media;

/// <summary>A tool ran but failed. <see cref="Detail"/> is its stderr tail, for logs rather than end users.</summary>
/// <param name="transient">True when running it again may succeed (a busy service), so the job is retried.</param>
public sealed class ToolFailedException(string tool, int exitCode, string detail, bool transient = false)
    : Exception($"{tool} failed with exit code {exitCode}.")
{
    public bool Transient { get; } = transient;
    public string Tool { get; } = tool;
    public int ExitCode { get; } = exitCode;
    public string Detail { get; } = detail;

    internal static ProcessResult EnsureSuccess(ProcessResult result, string tool) =>
        result.Succeeded ? result : throw new ToolFailedException(tool, result.ExitCode, result.StderrTail());
}

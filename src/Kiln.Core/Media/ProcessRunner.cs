using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Kiln.Core.Media;

/// <summary>Runs external tools. An interface so tests and adapters can swap in fakes without real binaries.</summary>
public interface IProcessRunner
{
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct);
}

/// <param name="Arguments">Passed one by one (ArgumentList), never through a shell, so file names cannot inject.</param>
/// <param name="InstallHint">Shown when the tool is missing, e.g. "install poppler-utils".</param>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }
    public TimeSpan? Timeout { get; init; }
    public Action<string>? OnStdout { get; init; }
    public Action<string>? OnStderr { get; init; }
    public string? InstallHint { get; init; }
    /// <summary>Caps captured output per stream; callbacks still see every line.</summary>
    public int MaxCapturedChars { get; init; } = 1_000_000;
}

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool OutputTruncated)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last few stderr lines: enough to explain a failure without dumping a whole log.</summary>
    public string StderrTail(int lines = 5) =>
        string.Join('\n', Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));
}

/// <summary>The tool is not installed (or not on PATH).</summary>
public sealed class ToolNotFoundException(string tool, string? installHint, Exception? inner = null)
    : Exception(installHint is null ? $"{tool} is not installed." : $"{tool} is not installed; {installHint}.", inner)
{
    public string Tool { get; } = tool;
}

/// <summary>The tool ran longer than its timeout and was killed.</summary>
public sealed class ToolTimeoutException(string tool, TimeSpan timeout)
    : Exception($"{tool} did not finish within {timeout.TotalSeconds:0} seconds.")
{
    public string Tool { get; } = tool;
}

public sealed class ProcessRunner : IProcessRunner
{
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        if (spec.WorkingDirectory is not null) psi.WorkingDirectory = spec.WorkingDirectory;

        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var stdout = new CappedBuffer(spec.MaxCapturedChars);
        var stderr = new CappedBuffer(spec.MaxCapturedChars);
        var stdoutDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => OnLine(e.Data, stdout, spec.OnStdout, stdoutDone);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, stderr, spec.OnStderr, stderrDone);

        try
        {
            if (!process.Start()) throw new ToolNotFoundException(spec.FileName, spec.InstallHint);
        }
        catch (Win32Exception ex)
        {
            throw new ToolNotFoundException(spec.FileName, spec.InstallHint, ex);
        }
        // Tools that prompt (ffmpeg overwrite questions) must see EOF instead of hanging forever.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            // Wait unbounded by the token: the kill is certain, and returning before exit would leak a zombie.
            await process.WaitForExitAsync(CancellationToken.None);
            if (!ct.IsCancellationRequested && timeoutCts.IsCancellationRequested)
                throw new ToolTimeoutException(spec.FileName, spec.Timeout!.Value);
            throw new OperationCanceledException($"{spec.FileName} was cancelled.", ct);
        }

        // WaitForExitAsync already drains redirected streams, but the end-of-stream events can still be in flight.
        await Task.WhenAll(stdoutDone.Task, stderrDone.Task).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None)
            .ContinueWith(_ => { }, TaskScheduler.Default);
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString(), stdout.Truncated || stderr.Truncated);
    }

    private static void OnLine(string? line, CappedBuffer buffer, Action<string>? callback, TaskCompletionSource done)
    {
        if (line is null) { done.TrySetResult(); return; }
        buffer.AppendLine(line);
        callback?.Invoke(line);
    }

    private static void KillTree(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already exited */ }
        catch (Win32Exception) { /* exited between the check and the kill */ }
    }

    private sealed class CappedBuffer(int max)
    {
        private readonly StringBuilder _sb = new();
        private readonly Lock _lock = new();
        public bool Truncated { get; private set; }

        public void AppendLine(string line)
        {
            lock (_lock)
            {
                if (_sb.Length + line.Length + 1 > max) { Truncated = true; return; }
                _sb.Append(line).Append('\n');
            }
        }

        public override string ToString() { lock (_lock) return _sb.ToString(); }
    }
}

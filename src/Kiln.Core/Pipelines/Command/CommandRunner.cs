using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Core.Pipelines.Command;

/// <param name="Inputs">Slot name → a local file path (the platform has already downloaded it).</param>
/// <param name="Options">The job's options; validated and given defaults by the runner (<see cref="CommandOptions.Normalize"/>).</param>
/// <param name="ScratchDirectory">A private directory for this attempt: the command's working directory, HOME and TMPDIR.</param>
public sealed record CommandInvocation(IReadOnlyDictionary<string, string> Inputs, JsonElement Options, string ScratchDirectory);

/// <summary>A <c>progress</c> line: percent clamped to 0–100; step and message cut to 100 and 1000 characters.</summary>
public sealed record CommandProgress(int Percent, string? Step, string? Message);

/// <summary>An accepted artifact: a regular file inside scratch, within the size limit.</summary>
/// <param name="Name">A plain file name, unique within the run.</param>
/// <param name="FullPath">Where it is now (inside scratch, links resolved); copy it before scratch is deleted.</param>
public sealed record CommandArtifact(string Name, string ContentType, string FullPath, long Size);

/// <summary>What a running command reports. Called one at a time, in the order the command wrote them.</summary>
public interface ICommandEvents
{
    Task ProgressAsync(CommandProgress progress, CancellationToken ct);

    /// <summary>A <c>log</c> line or any other stdout line. Shown to the job's owner.</summary>
    Task LogAsync(string line, CancellationToken ct);

    /// <summary>Called once per artifact after the command exited successfully, and only then.</summary>
    Task ArtifactAsync(CommandArtifact artifact, CancellationToken ct);
}

/// <summary>Why a run failed; <see cref="Message"/> is fit for the user (it never includes stderr).</summary>
/// <param name="Code">
/// The command's own code from an <c>error</c> line, or one of <see cref="CommandErrorCodes"/>.
/// </param>
public sealed record CommandError(string Code, string Message, bool Transient = false);

public static class CommandErrorCodes
{
    /// <summary>Non-zero exit without an error line.</summary>
    public const string CommandFailed = "command_failed";
    public const string Timeout = "timeout";
    public const string CpuLimit = "cpu_limit";
    public const string MemoryLimit = "memory_limit";
    public const string FileSizeLimit = "file_size_limit";
    /// <summary>Killed by a signal Kiln did not send.</summary>
    public const string Killed = "command_killed";
    public const string ArtifactRefused = "artifact_refused";
    public const string InvalidOptions = "invalid_options";
    public const string MissingInput = "missing_input";
    /// <summary>The executable is not installed on this worker.</summary>
    public const string CommandNotFound = "command_not_found";
}

/// <param name="ExitCode">Null when the command never started; 128+N when it died of signal N.</param>
/// <param name="StdErr">The last <see cref="CommandLimits.MaxStdErrBytes"/> of stderr, for operators only.</param>
public sealed record CommandResult(
    CommandError? Error,
    int? ExitCode,
    IReadOnlyList<CommandArtifact> Artifacts,
    string StdErr,
    bool StdErrTruncated,
    TimeSpan Elapsed)
{
    public bool Succeeded => Error is null;
}

public sealed class CommandRunnerOptions
{
    public string SetsidPath { get; set; } = "/usr/bin/setsid";
    public string PrlimitPath { get; set; } = "/usr/bin/prlimit";
    /// <summary>Between SIGTERM to the command's process group and SIGKILL.</summary>
    public TimeSpan KillGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Longest stdout line read; the rest of a longer line is skipped.</summary>
    public int MaxLineBytes { get; set; } = 64 * 1024;
}

/// <summary>
/// Runs a <see cref="CommandPipelineDefinition"/>: expands its argument template into argv (no shell), starts it
/// under prlimit in its own session and process group with an allowlisted environment in the scratch directory,
/// reads the JSON-lines protocol from stdout, keeps a capped stderr tail, and accepts artifacts only from inside
/// scratch. Cancellation and timeout signal the whole group (TERM, then KILL after a grace period).
/// </summary>
public sealed class CommandRunner(CommandRunnerOptions? options = null, ILogger<CommandRunner>? logger = null)
{
    /// <summary>The only PATH a command sees.</summary>
    public const string SandboxPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>The directory inside scratch that <c>{output}</c> names.</summary>
    public const string OutputDirectoryName = "out";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly CommandRunnerOptions _options = options ?? new CommandRunnerOptions();
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Runs the command to its end. Failures the user should see come back as <see cref="CommandResult.Error"/>;
    /// cancellation through <paramref name="ct"/> throws <see cref="OperationCanceledException"/> after the process
    /// group is gone; an exception from <paramref name="events"/> stops the command and is rethrown.
    /// </summary>
    /// <exception cref="ArgumentException">The definition is invalid or an input is unknown or missing on disk.</exception>
    public async Task<CommandResult> RunAsync(
        CommandPipelineDefinition definition, CommandInvocation invocation, ICommandEvents events, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var problems = CommandPipelineConfiguration.Validate(definition);
        if (problems.Count > 0) throw new ArgumentException($"Command pipeline '{definition.Id}' is invalid: {string.Join("; ", problems)}.", nameof(definition));
        var clock = Stopwatch.StartNew();
        CommandResult Fail(string code, string message) => new(new CommandError(code, message), null, [], "", false, clock.Elapsed);

        // Scratch and output, by their real paths so the artifact checks compare like with like.
        Directory.CreateDirectory(invocation.ScratchDirectory);
        var scratch = Posix.RealPath(Path.GetFullPath(invocation.ScratchDirectory))
            ?? throw new ArgumentException("The scratch directory cannot be resolved.", nameof(invocation));
        var output = Path.Combine(scratch, OutputDirectoryName);
        Directory.CreateDirectory(output);

        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (slot, path) in invocation.Inputs)
        {
            if (!definition.Inputs.Any(s => s.Name == slot)) throw new ArgumentException($"Unknown input slot '{slot}'.", nameof(invocation));
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new ArgumentException($"The input for slot '{slot}' does not exist.", nameof(invocation));
            inputs[slot] = full;
        }
        if (definition.Inputs.FirstOrDefault(s => s.Required && !inputs.ContainsKey(s.Name)) is { } missing)
            return Fail(CommandErrorCodes.MissingInput, $"The input '{missing.Name}' is required.");

        var normalized = CommandOptions.Normalize(definition.OptionsSchema, invocation.Options);
        if (!normalized.IsSuccess) return Fail(CommandErrorCodes.InvalidOptions, normalized.Error!.Message);
        var argv = CommandTemplate.Expand(definition.Arguments, inputs, normalized.Value, scratch, output, out var argError);
        if (argv is null) return Fail(CommandErrorCodes.InvalidOptions, argError!);

        var executable = CommandPipelineConfiguration.FindExecutable(definition);
        if (executable is null)
            return Fail(CommandErrorCodes.CommandNotFound, $"The command for '{definition.Name}' is not installed on this worker.");

        var psi = BuildStartInfo(definition, executable, argv, scratch);
        using var process = new Process { StartInfo = psi };
        try
        {
            if (!process.Start()) throw new InvalidOperationException($"Could not start {_options.SetsidPath}.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Could not start {_options.SetsidPath} / {_options.PrlimitPath}; install util-linux.", ex);
        }
        // setsid execs (it does not fork: a child of .NET is no group leader), then prlimit execs the command:
        // one pid throughout, the leader of its own session and process group.
        var pgid = process.Id;
        _logger.LogDebug("Command pipeline {Id} started as pid {Pid}: {Executable} {Arguments}", definition.Id, pgid, executable, string.Join(' ', argv));
        process.StandardInput.Close();

        using var abort = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(definition.TimeoutSeconds));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token, abort.Token);

        var state = new RunState(definition, scratch, events, abort);
        var stdoutTask = Task.Run(() => ReadStdoutAsync(process.StandardOutput.BaseStream, state, ct), CancellationToken.None);
        var stderr = new TailBuffer(definition.Limits.MaxStdErrBytes);
        var stderrTask = Task.Run(() => stderr.DrainAsync(process.StandardError.BaseStream, CancellationToken.None), CancellationToken.None);

        var stopped = false;
        try
        {
            await process.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            stopped = true;
            await StopGroupAsync(process, pgid);
        }
        // Whatever the command left running in its group (a background child) goes with it.
        Posix.KillGroup(pgid, Posix.SIGKILL);
        await DrainAsync(stdoutTask, stderrTask);
        // A process that left the group may still write: from here on its lines are ignored, so the state is settled.
        lock (state) state.Closed = true;
        var exitCode = process.ExitCode;

        if (state.CallbackFailure is { } failure && !ct.IsCancellationRequested) failure.Throw();
        if (ct.IsCancellationRequested) throw new OperationCanceledException($"Command pipeline '{definition.Id}' was cancelled.", ct);

        CommandError? error;
        if (state.Refusal is { } refusal) error = refusal;
        else if (stopped && timeout.IsCancellationRequested)
            error = new(CommandErrorCodes.Timeout, $"The command did not finish within {Duration(definition.TimeoutSeconds)}.");
        else if (state.Error is { } reported) error = reported;
        else if (exitCode != 0) error = Classify(exitCode, stderr.ToString(), definition.Limits);
        else error = null;

        var artifacts = new List<CommandArtifact>();
        if (error is null)
        {
            // Checked again now that the group is gone and nothing can swap a file for a link any more.
            foreach (var announced in state.Artifacts)
            {
                var artifact = CheckArtifact(announced, scratch, definition.Limits, out var refused);
                if (artifact is null) { error = new(CommandErrorCodes.ArtifactRefused, refused!); artifacts.Clear(); break; }
                artifacts.Add(artifact);
            }
            if (error is null)
                foreach (var artifact in artifacts) await events.ArtifactAsync(artifact, ct);
        }

        var result = new CommandResult(error, exitCode, error is null ? artifacts : [], stderr.ToString(), stderr.Truncated, clock.Elapsed);
        if (error is not null)
            _logger.LogWarning("Command pipeline {Id} failed with {Code} (exit code {ExitCode}): {Message}. Stderr tail: {Stderr}",
                definition.Id, error.Code, exitCode, error.Message, Tail(result.StdErr, 4000));
        return result;
    }

    private ProcessStartInfo BuildStartInfo(CommandPipelineDefinition d, string executable, List<string> argv, string scratch)
    {
        var psi = new ProcessStartInfo(_options.SetsidPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = scratch,
        };
        var l = d.Limits;
        string[] prefix =
        [
            _options.PrlimitPath,
            // SIGXCPU at the soft limit, SIGKILL two seconds later for a command that ignores it.
            $"--cpu={l.CpuSeconds}:{l.CpuSeconds + 2}",
            $"--as={l.MemoryBytes}",
            $"--nofile={l.OpenFiles}",
            $"--fsize={l.FileSizeBytes}",
            "--core=0",
            "--",
            executable,
        ];
        foreach (var a in prefix.Concat(argv)) psi.ArgumentList.Add(a);

        // Built from nothing: Kiln's own environment holds connection strings and keys.
        psi.Environment.Clear();
        psi.Environment["PATH"] = SandboxPath;
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["HOME"] = scratch;
        psi.Environment["TMPDIR"] = scratch;
        foreach (var name in d.AllowedEnvironment)
            if (Environment.GetEnvironmentVariable(name) is { } value) psi.Environment[name] = value;
        return psi;
    }

    /// <summary>TERM to the whole group, KILL after the grace period, and wait for the leader to be reaped.</summary>
    private async Task StopGroupAsync(Process process, int pgid)
    {
        Posix.KillGroup(pgid, Posix.SIGTERM);
        using var grace = new CancellationTokenSource(_options.KillGracePeriod);
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            Posix.KillGroup(pgid, Posix.SIGKILL);
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { /* exited meanwhile */ }
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Output ends once every holder of the pipes is gone; a process that left the group could hold them, so wait a bounded time.</summary>
    private static async Task DrainAsync(Task stdout, Task stderr)
    {
        try { await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (TimeoutException) { /* a process outside the group still holds stdout; stop waiting for it */ }
    }

    private async Task ReadStdoutAsync(Stream stdout, RunState state, CancellationToken ct)
    {
        var reader = new CappedLineReader(stdout, _options.MaxLineBytes);
        var limits = state.Definition.Limits;
        while (await reader.ReadLineAsync(CancellationToken.None) is var (line, truncated))
        {
            lock (state) if (state.Closed) return;
            if (state.CallbackFailure is not null || state.Refusal is not null) continue; // drain so the command is not blocked on a full pipe
            try
            {
                var message = truncated
                    ? new LogMessage(line + $" … [line cut at {_options.MaxLineBytes / 1024} KiB]")
                    : CommandProtocol.Parse(line);
                switch (message)
                {
                    case ProgressMessage p:
                        await state.Events.ProgressAsync(new CommandProgress(p.Percent, p.Step, p.Message), ct);
                        break;
                    case LogMessage l:
                        state.LogLines++;
                        if (state.LogLines <= limits.MaxLogLines) await state.Events.LogAsync(l.Line, ct);
                        else if (state.LogLines == limits.MaxLogLines + 1)
                            await state.Events.LogAsync($"… further log lines are left out (limit {limits.MaxLogLines}).", ct);
                        break;
                    case ErrorMessage e:
                        lock (state) if (!state.Closed) state.Error ??= new CommandError(e.Code, e.Message, e.Transient);
                        break;
                    case ArtifactMessage a:
                        var refusal = state.Artifacts.Count >= limits.MaxArtifacts
                            ? $"The command announced more than {limits.MaxArtifacts} artifacts."
                            : state.Artifacts.Any(x => ArtifactName(x) == ArtifactName(a))
                                ? $"The command announced two artifacts named '{ArtifactName(a)}'."
                                : CheckArtifact(a, state.Scratch, limits, out var why) is null ? why : null;
                        if (refusal is not null)
                        {
                            lock (state) if (!state.Closed) state.Refusal = new CommandError(CommandErrorCodes.ArtifactRefused, refusal);
                            await state.Abort.CancelAsync();
                        }
                        else lock (state) if (!state.Closed) state.Artifacts.Add(a);
                        break;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                state.CallbackFailure = ExceptionDispatchInfo.Capture(ex);
                await state.Abort.CancelAsync();
            }
            catch (OperationCanceledException)
            {
                // The job was cancelled; RunAsync throws once the group is gone.
            }
        }
    }

    private static string ArtifactName(ArtifactMessage a) => a.Name ?? Path.GetFileName(a.Path);

    /// <summary>The artifact when it is a regular file inside scratch (links resolved) within the size limit; else null and why.</summary>
    internal static CommandArtifact? CheckArtifact(ArtifactMessage a, string scratch, CommandLimits limits, out string? refusal)
    {
        var shown = Path.IsPathRooted(a.Path) ? Path.GetFileName(a.Path) : a.Path.Length > 200 ? a.Path[..200] + "…" : a.Path;
        string? Refuse(string why) => $"The artifact '{shown}' was refused: {why}.";

        refusal = null;
        var name = ArtifactName(a);
        if (name.Length is 0 or > 255 || name is "." or ".." || name.Any(c => c is '/' or '\\' || char.IsControl(c)))
        {
            refusal = Refuse("its name must be a plain file name");
            return null;
        }
        if (a.Path.Contains('\0') || a.Path.Split('/', '\\').Contains(".."))
        {
            refusal = Refuse("its path may not contain '..'");
            return null;
        }
        var candidate = Path.GetFullPath(Path.IsPathRooted(a.Path) ? a.Path : Path.Combine(scratch, a.Path));
        if (!IsInside(candidate, scratch))
        {
            refusal = Refuse("it is outside the job's scratch directory");
            return null;
        }
        var real = Posix.RealPath(candidate);
        if (real is null)
        {
            refusal = Refuse("the file does not exist");
            return null;
        }
        if (!IsInside(real, scratch))
        {
            refusal = Refuse("it is a symbolic link to a file outside the job's scratch directory");
            return null;
        }
        if (Posix.Stat(real) is not { IsRegularFile: true } stat)
        {
            refusal = Refuse("it is not a regular file");
            return null;
        }
        if (stat.Size > limits.MaxArtifactBytes)
        {
            refusal = Refuse($"it is {Bytes(stat.Size)}, more than the limit of {Bytes(limits.MaxArtifactBytes)}");
            return null;
        }
        var contentType = a.ContentType is { } ct && IsMediaType(ct)
            ? ct
            : ContentTypes.TryGetContentType(name, out var guessed) ? guessed : "application/octet-stream";
        return new CommandArtifact(name, contentType, real, stat.Size);
    }

    private static bool IsInside(string path, string directory) =>
        path.StartsWith(directory.EndsWith('/') ? directory : directory + "/", StringComparison.Ordinal);

    private static bool IsMediaType(string s)
    {
        var slash = s.IndexOf('/');
        return slash > 0 && slash < s.Length - 1 && s.Length <= 255
            && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '+' or '-' or '_' or ';' or '=' or ' ' or '"');
    }

    /// <summary>A readable reason for a non-zero exit without an error line. Signals show as 128+N.</summary>
    internal static CommandError Classify(int exitCode, string stderr, CommandLimits limits)
    {
        const int sigkill = 9, sigabrt = 6, sigsegv = 11, sigxcpu = 24, sigxfsz = 25;
        var signal = exitCode > 128 && exitCode < 128 + 65 ? exitCode - 128 : 0;
        if (signal == sigxcpu)
            return new(CommandErrorCodes.CpuLimit, $"The command used more than its CPU time limit of {Duration(limits.CpuSeconds)} and was stopped.");
        if (signal == sigxfsz)
            return new(CommandErrorCodes.FileSizeLimit, $"The command tried to write a file larger than its limit of {Bytes(limits.FileSizeBytes)} and was stopped.");
        if (LooksOutOfMemory(stderr) || (signal is sigabrt or sigsegv && stderr.Contains("alloc", StringComparison.OrdinalIgnoreCase)))
            return new(CommandErrorCodes.MemoryLimit, $"The command ran out of memory (its limit is {Bytes(limits.MemoryBytes)}).");
        if (signal == sigkill)
            return new(CommandErrorCodes.Killed, $"The command was killed (it may have gone over its CPU time limit of {Duration(limits.CpuSeconds)} or its memory limit of {Bytes(limits.MemoryBytes)}).");
        if (signal != 0)
            return new(CommandErrorCodes.CommandFailed, $"The command crashed (signal {signal}).");
        return new(CommandErrorCodes.CommandFailed, $"The command failed (exit code {exitCode}).");
    }

    /// <summary>What allocation failures print in the common runtimes (Python, glibc tools, C++, Node, Java).</summary>
    private static bool LooksOutOfMemory(string stderr)
    {
        var tail = Tail(stderr, 4000);
        return tail.Contains("MemoryError", StringComparison.Ordinal)
            || tail.Contains("Cannot allocate memory", StringComparison.OrdinalIgnoreCase)
            || tail.Contains("std::bad_alloc", StringComparison.Ordinal)
            || tail.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            || tail.Contains("OutOfMemoryError", StringComparison.Ordinal)
            || tail.Contains("heap out of memory", StringComparison.OrdinalIgnoreCase);
    }

    private static string Tail(string s, int max) => s.Length <= max ? s : s[^max..];

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => $"{bytes} bytes",
    };

    private static string Duration(int seconds) => seconds == 1 ? "1 second" : $"{seconds} seconds";

    private sealed class RunState(CommandPipelineDefinition definition, string scratch, ICommandEvents events, CancellationTokenSource abort)
    {
        public CommandPipelineDefinition Definition { get; } = definition;
        public string Scratch { get; } = scratch;
        public ICommandEvents Events { get; } = events;
        public CancellationTokenSource Abort { get; } = abort;
        public List<ArtifactMessage> Artifacts { get; } = [];
        public int LogLines { get; set; }
        public CommandError? Error { get; set; }
        public CommandError? Refusal { get; set; }
        public ExceptionDispatchInfo? CallbackFailure { get; set; }
        public bool Closed { get; set; }
    }
}

using System.Diagnostics;
using Kiln.Core.Pipelines.Command;

namespace Kiln.Core.Tests.Pipelines.Command;

public sealed class CommandRunnerTests : IDisposable
{
    private readonly CommandTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task Progress_and_log_callbacks_arrive_in_order_and_artifacts_after_a_successful_exit()
    {
        var tool = _kit.Bash("""
            echo '{"type":"progress","percent":10,"step":"start","message":"Starting"}'
            echo 'plain output line'
            printf '# Notes\n' > out/notes.md
            echo '{"type":"artifact","path":"out/notes.md","name":"notes.md","contentType":"text/markdown"}'
            echo '{"type":"log","line":"wrote the notes"}'
            echo '{"type":"progress","percent":100,"step":"done"}'
            """);

        var result = await _kit.RunAsync(tool);

        result.Succeeded.ShouldBeTrue(result.StdErr);
        result.ExitCode.ShouldBe(0);
        _kit.Events.Order.ShouldBe(["progress 10", "log plain output line", "log wrote the notes", "progress 100", "artifact notes.md"]);
        _kit.Events.Progress[0].ShouldBe(new CommandProgress(10, "start", "Starting"));
        var artifact = result.Artifacts.ShouldHaveSingleItem();
        artifact.ShouldBe(_kit.Events.Artifacts[0]);
        artifact.Name.ShouldBe("notes.md");
        artifact.ContentType.ShouldBe("text/markdown");
        artifact.Size.ShouldBe(8);
        artifact.FullPath.ShouldBe(Path.Combine(_kit.Scratch, "out", "notes.md"));
    }

    [Fact]
    public async Task An_artifact_without_name_or_content_type_gets_its_file_name_and_a_guessed_type()
    {
        var tool = _kit.Bash("""
            echo '{}' > "$1/data.json"
            echo "{\"type\":\"artifact\",\"path\":\"$1/data.json\"}"
            """, "{output}");
        var result = await _kit.RunAsync(tool);
        result.Succeeded.ShouldBeTrue(result.StdErr);
        result.Artifacts.ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            a => a.Name.ShouldBe("data.json"),
            a => a.ContentType.ShouldBe("application/json"));
    }

    [Fact]
    public async Task Arguments_are_passed_one_per_template_item_without_a_shell()
    {
        var tool = _kit.Bash("""printf 'arg:%s\n' "$@"; pwd""",
            "{input.source}", "--lang={options.language}", "{options.title}", "{input.extra}", "--extra={input.extra}", "{output}", "{{literal}}", "{scratch}");
        tool.Inputs = [new() { Name = "source", Kinds = ["text"] }, new() { Name = "extra", Kinds = ["text"], Required = false }];
        tool.OptionsSchema.Properties["language"] = new() { Type = "string", Default = "en" };
        tool.OptionsSchema.Properties["title"] = new() { Type = "string" };
        var source = Path.Combine(_kit.Scratch, "my input (1).txt");
        File.WriteAllText(source, "hello");
        var hostile = "$(touch pwned); 'quoted' \"double\" `tick` | cat > x; *";

        var result = await _kit.RunAsync(tool, new Dictionary<string, string> { ["source"] = source },
            System.Text.Json.JsonSerializer.Serialize(new { title = hostile }));

        result.Succeeded.ShouldBeTrue(result.StdErr);
        _kit.Events.Logs.ShouldBe([
            $"arg:{source}",
            "arg:--lang=en",
            $"arg:{hostile}",
            // The optional input was not given: both items that mention it are left out.
            $"arg:{Path.Combine(_kit.Scratch, "out")}",
            "arg:{literal}",
            $"arg:{_kit.Scratch}",
            _kit.Scratch,
        ]);
        File.Exists(Path.Combine(_kit.Scratch, "pwned")).ShouldBeFalse();
    }

    [Fact]
    public async Task An_option_that_would_stand_alone_as_a_flag_is_refused()
    {
        var tool = _kit.Bash("echo ran", "{options.title}");
        tool.OptionsSchema.Properties["title"] = new() { Type = "string" };
        var result = await _kit.RunAsync(tool, optionsJson: """{"title":"--output=/etc/passwd"}""");
        result.Error!.Code.ShouldBe("invalid_options");
        result.Error.Message.ShouldBe("The option 'title' may not begin with '-'.");
        _kit.Events.Logs.ShouldBeEmpty();
    }

    [Fact]
    public async Task Invalid_options_missing_inputs_and_a_missing_executable_fail_before_starting()
    {
        var tool = _kit.Bash("echo ran", "{input.source}", "--n={options.n}");
        tool.Inputs = [new() { Name = "source", Kinds = ["text"] }];
        tool.OptionsSchema.Properties["n"] = new() { Type = "integer", Minimum = 1, Maximum = 5 };
        var source = Path.Combine(_kit.Scratch, "in.txt");
        File.WriteAllText(source, "x");
        var inputs = new Dictionary<string, string> { ["source"] = source };

        (await _kit.RunAsync(tool, inputs, """{"n":9}""")).Error.ShouldBe(new CommandError("invalid_options", "The option 'n' must be at most 5."));
        (await _kit.RunAsync(tool, inputs, """{"colour":"red"}""")).Error.ShouldBe(new CommandError("invalid_options", "Unknown option 'colour'."));
        (await _kit.RunAsync(tool, optionsJson: """{"n":2}""")).Error.ShouldBe(new CommandError("missing_input", "The input 'source' is required."));
        tool.Executable = "/usr/bin/kiln-no-such-tool";
        (await _kit.RunAsync(tool, inputs)).Error!.Code.ShouldBe("command_not_found");
        _kit.Events.Logs.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_non_zero_exit_without_an_error_line_fails_with_a_generic_message_and_keeps_stderr_for_operators()
    {
        var tool = _kit.Bash("echo 'secret detail: /srv/data/db.sqlite' >&2; exit 3");
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("command_failed", "The command failed (exit code 3)."));
        result.ExitCode.ShouldBe(3);
        result.StdErr.ShouldContain("secret detail");
        _kit.Events.Logs.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_error_line_fails_the_run_with_its_code_message_and_transience_even_on_exit_zero()
    {
        var tool = _kit.Bash("""
            echo '{"type":"error","code":"rate_limited","message":"The service is busy.","transient":true}'
            echo '{"type":"error","code":"second","message":"Later errors do not replace the first."}'
            echo 'x' > out/a.txt
            echo '{"type":"artifact","path":"out/a.txt"}'
            """);
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("rate_limited", "The service is busy.", Transient: true));
        result.Artifacts.ShouldBeEmpty();
        _kit.Events.Artifacts.ShouldBeEmpty();
    }

    [Fact]
    public async Task Stderr_is_capped_to_its_last_bytes()
    {
        var tool = _kit.Bash("for i in $(seq 1 20000); do echo \"noise $i\" >&2; done; exit 1");
        tool.Limits.MaxStdErrBytes = 4096;
        var result = await _kit.RunAsync(tool);
        result.StdErrTruncated.ShouldBeTrue();
        result.StdErr.Length.ShouldBeLessThanOrEqualTo(4096);
        result.StdErr.ShouldEndWith("noise 20000\n");
    }

    [Fact]
    public async Task A_huge_stdout_line_becomes_a_cut_log_line_and_the_protocol_continues()
    {
        var tool = _kit.Bash("""
            head -c 5000000 /dev/zero | tr '\0' 'x'; echo
            echo '{"type":"progress","percent":50}'
            """);
        var result = await _kit.RunAsync(tool);
        result.Succeeded.ShouldBeTrue(result.StdErr);
        var log = _kit.Events.Logs.ShouldHaveSingleItem();
        log.Length.ShouldBeLessThan(70 * 1024);
        log.ShouldEndWith("[line cut at 64 KiB]");
        _kit.Events.Progress.ShouldHaveSingleItem().Percent.ShouldBe(50);
    }

    [Fact]
    public async Task Log_lines_beyond_the_limit_are_dropped_with_one_notice()
    {
        var tool = _kit.Bash("seq 1 50");
        tool.Limits.MaxLogLines = 10;
        await _kit.RunAsync(tool);
        _kit.Events.Logs.Count.ShouldBe(11);
        _kit.Events.Logs[^1].ShouldBe("… further log lines are left out (limit 10).");
    }

    [Fact]
    public async Task Cancel_kills_the_whole_process_group_including_grandchildren()
    {
        // The sleep is a grandchild: a child of a subshell of the script.
        var tool = _kit.Bash("( sleep 300 & echo $!; wait ) & wait");
        using var cts = new CancellationTokenSource();
        _kit.Events.OnLog = _ => cts.CancelAsync();

        var sw = Stopwatch.StartNew();
        await Should.ThrowAsync<OperationCanceledException>(() => _kit.RunAsync(tool, ct: cts.Token));
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));

        var grandchild = CommandTestKit.Pid(_kit.Events.Logs[0]);
        (await CommandTestKit.EventuallyAsync(() => !CommandTestKit.IsAlive(grandchild))).ShouldBeTrue($"sleep {grandchild} survived the cancel");
    }

    [Fact]
    public async Task A_command_that_ignores_TERM_is_killed_after_the_grace_period()
    {
        var tool = _kit.Bash("trap '' TERM; ( trap '' TERM; sleep 300 & echo $!; wait ) & wait; wait");
        using var cts = new CancellationTokenSource();
        _kit.Events.OnLog = _ => cts.CancelAsync();

        var sw = Stopwatch.StartNew();
        await Should.ThrowAsync<OperationCanceledException>(() => _kit.RunAsync(tool, ct: cts.Token));
        sw.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        var grandchild = CommandTestKit.Pid(_kit.Events.Logs[0]);
        (await CommandTestKit.EventuallyAsync(() => !CommandTestKit.IsAlive(grandchild))).ShouldBeTrue();
    }

    [Fact]
    public async Task Timeout_fails_with_timeout_and_kills_the_group()
    {
        var tool = _kit.Bash("( sleep 300 & echo $!; wait ) & wait");
        tool.TimeoutSeconds = 1;
        var sw = Stopwatch.StartNew();
        var result = await _kit.RunAsync(tool);
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        result.Error.ShouldBe(new CommandError("timeout", "The command did not finish within 1 second."));
        var grandchild = CommandTestKit.Pid(_kit.Events.Logs[0]);
        (await CommandTestKit.EventuallyAsync(() => !CommandTestKit.IsAlive(grandchild))).ShouldBeTrue();
    }

    [Fact]
    public async Task Background_processes_left_behind_by_a_finished_command_are_killed()
    {
        var tool = _kit.Bash("sleep 300 >/dev/null 2>&1 & echo $!; exit 0");
        var result = await _kit.RunAsync(tool);
        result.Succeeded.ShouldBeTrue(result.StdErr);
        var orphan = CommandTestKit.Pid(_kit.Events.Logs[0]);
        (await CommandTestKit.EventuallyAsync(() => !CommandTestKit.IsAlive(orphan))).ShouldBeTrue();
    }

    [Fact]
    public async Task The_command_runs_in_scratch_with_its_own_session_and_home()
    {
        var tool = _kit.Bash("""
            pwd; echo "home=$HOME"; echo "tmp=$TMPDIR"
            test "$(ps -o sid= -p $$ | tr -d ' ')" = "$$" && echo own-session
            test "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$" && echo own-group
            test -d out && echo has-out
            """);
        var result = await _kit.RunAsync(tool);
        result.Succeeded.ShouldBeTrue(result.StdErr);
        _kit.Events.Logs.ShouldBe([_kit.Scratch, $"home={_kit.Scratch}", $"tmp={_kit.Scratch}", "own-session", "own-group", "has-out"]);
    }

    [Fact]
    public async Task An_exception_from_a_callback_stops_the_command_and_is_rethrown()
    {
        var tool = _kit.Bash("echo first; sleep 300");
        _kit.Events.OnLog = _ => throw new InvalidOperationException("sink is broken");
        var sw = Stopwatch.StartNew();
        var ex = await Should.ThrowAsync<InvalidOperationException>(() => _kit.RunAsync(tool));
        ex.Message.ShouldBe("sink is broken");
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_memory_hungry_command_fails_with_a_readable_message()
    {
        var tool = new CommandPipelineDefinition
        {
            Id = "hog", Name = "Hog", Executable = "/usr/bin/python3", TimeoutSeconds = 60,
            Arguments = ["-c", "data = bytearray(1024 * 1024 * 1024)\nprint('allocated', len(data))"],
            Limits = { MemoryBytes = 200L * 1024 * 1024 },
        };
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("memory_limit", "The command ran out of memory (its limit is 200 MiB)."));
        result.StdErr.ShouldContain("MemoryError");
        _kit.Events.Logs.ShouldNotContain(l => l.StartsWith("allocated"));
    }

    [Fact]
    public async Task A_command_over_its_cpu_time_limit_is_stopped()
    {
        var tool = _kit.Bash("while :; do :; done");
        tool.Limits.CpuSeconds = 1;
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("cpu_limit", "The command used more than its CPU time limit of 1 second and was stopped."));
    }

    [Fact]
    public async Task A_command_writing_a_file_over_the_size_limit_is_stopped()
    {
        var tool = new CommandPipelineDefinition
        {
            Id = "writer", Name = "Writer", Executable = "dd", TimeoutSeconds = 60,
            Arguments = ["if=/dev/zero", "of={output}/big.bin", "bs=1024", "count=1024"],
            Limits = { FileSizeBytes = 100 * 1024 },
        };
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("file_size_limit", "The command tried to write a file larger than its limit of 100 KiB and was stopped."));
        new FileInfo(Path.Combine(_kit.Scratch, "out", "big.bin")).Length.ShouldBeLessThanOrEqualTo(100 * 1024);
    }

    [Fact]
    public async Task Open_files_are_limited()
    {
        var tool = _kit.Bash("ulimit -n");
        tool.Limits.OpenFiles = 33;
        await _kit.RunAsync(tool);
        _kit.Events.Logs.ShouldBe(["33"]);
    }

    [Fact]
    public void Signals_map_to_readable_messages()
    {
        var limits = new CommandLimits { CpuSeconds = 30, MemoryBytes = 512L * 1024 * 1024 };
        CommandRunner.Classify(128 + 9, "", limits).ShouldBe(new CommandError("command_killed",
            "The command was killed (it may have gone over its CPU time limit of 30 seconds or its memory limit of 512 MiB)."));
        CommandRunner.Classify(128 + 11, "", limits).ShouldBe(new CommandError("command_failed", "The command crashed (signal 11)."));
        CommandRunner.Classify(134, "terminate called after throwing an instance of 'std::bad_alloc'", limits).Code.ShouldBe("memory_limit");
        CommandRunner.Classify(1, "ffmpeg: Cannot allocate memory", limits).Code.ShouldBe("memory_limit");
        CommandRunner.Classify(2, "usage: tool FILE", limits).ShouldBe(new CommandError("command_failed", "The command failed (exit code 2)."));
    }
}

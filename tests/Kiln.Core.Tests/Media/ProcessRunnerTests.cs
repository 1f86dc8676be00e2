using System.Diagnostics;
using Kiln.Core.Media;

namespace Kiln.Core.Tests.Media;

public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new();

    [Fact]
    public async Task Captures_output_streams_lines_and_passes_arguments_verbatim()
    {
        var lines = new List<string>();
        // An argument with spaces, quotes and $ proves there is no shell in between.
        var result = await _runner.RunAsync(
            new ProcessSpec("printf", ["%s\\n%s\\n", "one two", "'$HOME' \"x\""]) { OnStdout = lines.Add },
            TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("one two\n'$HOME' \"x\"\n");
        lines.ShouldBe(["one two", "'$HOME' \"x\""]);
    }

    [Fact]
    public async Task Returns_non_zero_exit_code_and_stderr()
    {
        var result = await _runner.RunAsync(new ProcessSpec("ls", ["/definitely/not/here"]), TestContext.Current.CancellationToken);
        result.ExitCode.ShouldNotBe(0);
        result.StderrTail().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Caps_captured_output()
    {
        var result = await _runner.RunAsync(new ProcessSpec("seq", ["1", "100000"]) { MaxCapturedChars = 1000 }, TestContext.Current.CancellationToken);
        result.OutputTruncated.ShouldBeTrue();
        result.Stdout.Length.ShouldBeLessThanOrEqualTo(1000);
    }

    [Fact]
    public async Task A_missing_tool_throws_a_readable_exception()
    {
        var ex = await Should.ThrowAsync<ToolNotFoundException>(() =>
            _runner.RunAsync(new ProcessSpec("kiln-no-such-tool", []) { InstallHint = "install kiln-tools" }, TestContext.Current.CancellationToken));
        ex.Message.ShouldBe("kiln-no-such-tool is not installed; install kiln-tools.");
    }

    [Fact]
    public async Task Timeout_kills_the_tool()
    {
        var sw = Stopwatch.StartNew();
        await Should.ThrowAsync<ToolTimeoutException>(() =>
            _runner.RunAsync(new ProcessSpec("sleep", ["30"]) { Timeout = TimeSpan.FromMilliseconds(300) }, TestContext.Current.CancellationToken));
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree_and_returns_quickly()
    {
        // A shell that starts a grandchild: killing only the shell would leave the sleep running.
        var marker = $"kiln-cancel-{Guid.NewGuid():N}";
        using var cts = new CancellationTokenSource();
        var pids = new List<string>();
        var run = _runner.RunAsync(
            new ProcessSpec("sh", ["-c", $"sleep 30 & echo $!; wait", marker]) { OnStdout = pids.Add },
            cts.Token);
        await WaitUntilAsync(() => pids.Count > 0);
        var sw = Stopwatch.StartNew();
        await cts.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => run);
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));

        var grandchild = int.Parse(pids[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await WaitUntilAsync(() => !IsAlive(grandchild));
        IsAlive(grandchild).ShouldBeFalse();
    }

    private static bool IsAlive(int pid)
    {
        // A killed child of a killed parent is reaped by init; until then it shows as a zombie, which is not running.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try { return !File.ReadAllText(stat).Split(' ')[2].Equals("Z", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}

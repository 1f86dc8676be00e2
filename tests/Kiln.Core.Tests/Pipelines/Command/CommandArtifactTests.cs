using System.Diagnostics;
using Kiln.Core.Pipelines.Command;

namespace Kiln.Core.Tests.Pipelines.Command;

public sealed class CommandArtifactTests : IDisposable
{
    private readonly CommandTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private async Task<CommandResult> AnnounceAsync(string setup, string path, string? name = null)
    {
        var nameField = name is null ? "" : $",\"name\":\"{name}\"";
        var tool = _kit.Bash(setup + $"\necho '{{\"type\":\"artifact\",\"path\":\"{path}\"{nameField}}}'");
        return await _kit.RunAsync(tool);
    }

    [Fact]
    public async Task A_path_with_dot_dot_is_refused_even_when_the_file_exists()
    {
        File.WriteAllText(Path.Combine(_kit.Root, "x"), "outside");
        var result = await AnnounceAsync("", "../x");
        result.Error.ShouldBe(new CommandError("artifact_refused", "The artifact '../x' was refused: its path may not contain '..'."));
        result.Artifacts.ShouldBeEmpty();
        _kit.Events.Artifacts.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_absolute_path_outside_scratch_is_refused_without_echoing_the_path()
    {
        var outside = Path.Combine(_kit.Tools, "secret.txt");
        File.WriteAllText(outside, "outside");
        var result = await AnnounceAsync("", outside);
        result.Error.ShouldBe(new CommandError("artifact_refused", "The artifact 'secret.txt' was refused: it is outside the job's scratch directory."));
    }

    [Fact]
    public async Task A_symlink_pointing_outside_scratch_is_refused()
    {
        var result = await AnnounceAsync("ln -s /etc/passwd out/passwd.txt", "out/passwd.txt");
        result.Error.ShouldBe(new CommandError("artifact_refused",
            "The artifact 'out/passwd.txt' was refused: it is a symbolic link to a file outside the job's scratch directory."));
    }

    [Fact]
    public async Task A_file_under_a_symlinked_directory_pointing_outside_is_refused()
    {
        var result = await AnnounceAsync("ln -s /etc out/etc", "out/etc/hostname");
        result.Error!.Code.ShouldBe("artifact_refused");
        result.Error.Message.ShouldContain("symbolic link to a file outside");
    }

    [Fact]
    public async Task A_symlink_inside_scratch_is_accepted_as_its_target()
    {
        var result = await AnnounceAsync("echo hi > out/real.txt; ln -s real.txt out/alias.txt", "out/alias.txt");
        result.Succeeded.ShouldBeTrue(result.Error?.Message);
        var artifact = result.Artifacts.ShouldHaveSingleItem();
        artifact.Name.ShouldBe("alias.txt");
        artifact.FullPath.ShouldBe(Path.Combine(_kit.Scratch, "out", "real.txt"));
    }

    [Theory]
    [InlineData("mkdir out/folder", "out/folder", "it is not a regular file")]
    [InlineData("mkfifo out/pipe", "out/pipe", "it is not a regular file")]
    [InlineData("", "out/never-written.txt", "the file does not exist")]
    public async Task Only_existing_regular_files_are_accepted(string setup, string path, string why)
    {
        var result = await AnnounceAsync(setup, path);
        result.Error.ShouldBe(new CommandError("artifact_refused", $"The artifact '{path}' was refused: {why}."));
    }

    [Fact]
    public async Task A_file_over_the_artifact_size_limit_is_refused()
    {
        var tool = _kit.Bash("""
            head -c 2048 /dev/zero > out/big.bin
            echo '{"type":"artifact","path":"out/big.bin"}'
            """);
        tool.Limits.MaxArtifactBytes = 1024;
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("artifact_refused", "The artifact 'out/big.bin' was refused: it is 2 KiB, more than the limit of 1 KiB."));
    }

    [Fact]
    public async Task A_file_that_grows_over_the_limit_after_it_was_announced_is_refused_at_the_end()
    {
        var tool = _kit.Bash("""
            echo small > out/log.txt
            echo '{"type":"artifact","path":"out/log.txt"}'
            head -c 4096 /dev/zero >> out/log.txt
            """);
        tool.Limits.MaxArtifactBytes = 1024;
        var result = await _kit.RunAsync(tool);
        result.Error!.Code.ShouldBe("artifact_refused");
        _kit.Events.Artifacts.ShouldBeEmpty();
    }

    [Fact]
    public async Task Two_artifacts_with_the_same_name_are_refused()
    {
        var tool = _kit.Bash("""
            mkdir -p out/a out/b; echo 1 > out/a/r.txt; echo 2 > out/b/r.txt
            echo '{"type":"artifact","path":"out/a/r.txt"}'
            echo '{"type":"artifact","path":"out/b/r.txt"}'
            """);
        var result = await _kit.RunAsync(tool);
        result.Error.ShouldBe(new CommandError("artifact_refused", "The command announced two artifacts named 'r.txt'."));
    }

    [Fact]
    public async Task A_name_with_a_path_in_it_is_refused()
    {
        var result = await AnnounceAsync("echo x > out/a.txt", "out/a.txt", name: "../../a.txt");
        result.Error.ShouldBe(new CommandError("artifact_refused", "The artifact 'out/a.txt' was refused: its name must be a plain file name."));
    }

    [Fact]
    public async Task A_refused_artifact_stops_the_command_at_once()
    {
        var tool = _kit.Bash("""
            echo '{"type":"artifact","path":"/etc/passwd"}'
            sleep 300
            """);
        var sw = Stopwatch.StartNew();
        var result = await _kit.RunAsync(tool);
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        result.Error!.Code.ShouldBe("artifact_refused");
    }
}

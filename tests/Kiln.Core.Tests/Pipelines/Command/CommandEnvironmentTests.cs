using Kiln.Core.Pipelines.Command;

namespace Kiln.Core.Tests.Pipelines.Command;

/// <summary>Changes the test process's environment, so it runs alone (the CLI tests read Kiln__ variables).</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class CommandEnvironmentTests : IDisposable
{
    private readonly CommandTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task The_environment_holds_only_the_allowlist_and_never_Kiln_secrets()
    {
        var secrets = new Dictionary<string, string>
        {
            ["Kiln__Database__ConnectionString"] = "Host=db;Password=hunter2-fake",
            ["ConnectionStrings__Default"] = "Data Source=fake-secret.db",
            ["KILN_FAKE_API_KEY"] = "sk-fake-secret",
        };
        foreach (var (k, v) in secrets) Environment.SetEnvironmentVariable(k, v);
        try
        {
            var tool = _kit.Bash("env");
            // Allowed and set, allowed but unset.
            tool.AllowedEnvironment = ["OMP_NUM_THREADS", "CMDTEST_NOT_SET"];
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", "2");
            var result = await _kit.RunAsync(tool);
            result.Succeeded.ShouldBeTrue(result.StdErr);

            var env = _kit.Events.Logs.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
            var output = string.Join('\n', _kit.Events.Logs);
            output.ShouldNotContain("hunter2");
            output.ShouldNotContain("fake-secret");
            output.ShouldNotContain("Kiln__");
            env["PATH"].ShouldBe("/usr/local/bin:/usr/bin:/bin");
            env["LANG"].ShouldBe("C.UTF-8");
            env["HOME"].ShouldBe(_kit.Scratch);
            env["TMPDIR"].ShouldBe(_kit.Scratch);
            env["OMP_NUM_THREADS"].ShouldBe("2");
            // Whatever bash adds by itself (PWD, SHLVL, _) is all there is besides.
            env.Keys.Except(["PATH", "LANG", "HOME", "TMPDIR", "OMP_NUM_THREADS", "PWD", "SHLVL", "_"]).ShouldBeEmpty();
        }
        finally
        {
            foreach (var k in secrets.Keys) Environment.SetEnvironmentVariable(k, null);
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", null);
        }
    }
}

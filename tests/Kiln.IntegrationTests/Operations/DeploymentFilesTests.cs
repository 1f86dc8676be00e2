using System.Diagnostics;
using System.Text.RegularExpressions;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Operations;

/// <summary>
/// The files operators deploy with (<c>deploy/observability</c>): Prometheus accepts them, the alerts fire when they
/// should (promtool's rule unit tests), and every Kiln series they name is one Kiln really exports.
/// </summary>
public sealed partial class DeploymentFilesTests(PostgresServer pg)
{
    private static readonly string Observability = Path.Combine(RepoRoot(), "deploy", "observability");

    [Fact]
    public async Task Alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        var check = await Promtool("check", "rules", Path.Combine(Observability, "alerts.yml"));
        check.Output.ShouldContain("SUCCESS", customMessage: check.Output);
        var test = await Promtool("test", "rules", Path.Combine(Observability, "alerts.test.yml"));
        test.Output.ShouldContain("SUCCESS", customMessage: test.Output);
    }

    [Fact]
    public async Task Prometheus_configuration_passes_promtool_check_config()
    {
        // promtool insists the token file exists; compose writes it from KILN_METRICS_TOKEN (prometheus-entrypoint.sh).
        var dir = Directory.CreateTempSubdirectory("kiln-prometheus-").FullName;
        try
        {
            File.Copy(Path.Combine(Observability, "prometheus.yml"), Path.Combine(dir, "prometheus.yml"));
            File.Copy(Path.Combine(Observability, "alerts.yml"), Path.Combine(dir, "alerts.yml"));
            Directory.CreateDirectory(Path.Combine(dir, "secrets"));
            await File.WriteAllTextAsync(Path.Combine(dir, "secrets", "metrics-token"), "test-token");
            var check = await Promtool("check", "config", Path.Combine(dir, "prometheus.yml"));
            check.Output.ShouldContain("is valid prometheus config file syntax", customMessage: check.Output);
            check.Output.ShouldContain("SUCCESS: 1 rule files found", customMessage: check.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Alerts_and_the_dashboard_name_only_series_that_Kiln_exports()
    {
        var source = string.Join('\n', Directory.EnumerateFiles(Path.Combine(RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        var declared = Declared().Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
        declared.ShouldContain("kiln_queue_depth");
        foreach (var file in new[] { "alerts.yml", "alerts.test.yml", "grafana-dashboard.json" })
        {
            var used = Used().Matches(File.ReadAllText(Path.Combine(Observability, file))).Select(m => m.Value).Distinct().ToList();
            used.ShouldNotBeEmpty();
            foreach (var name in used)
                declared.Any(d => Exported(d, name)).ShouldBeTrue($"{file} names {name}, which no Kiln instrument exports (declared: {string.Join(", ", declared.Order())})");
        }
    }

    [Fact]
    public async Task The_web_host_exports_the_worker_heartbeat_gauges_the_alerts_use()
    {
        // Embedded runner: this host heartbeats as a worker, so it counts itself live.
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: true, overrides: MetricsTests.ScrapeToken);
        PrometheusText? metrics = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            metrics = PrometheusText.Parse(await MetricsTests.Scraper(host).GetStringAsync("/metrics"));
            if (metrics.Find("kiln_workers_live").Count > 0 && metrics.Value("kiln_workers_live") >= 1) break;
        }
        metrics.ShouldNotBeNull();
        metrics.Value("kiln_workers_live").ShouldBe(1, metrics.Text);
        metrics.Value("kiln_worker_heartbeat_age_seconds").ShouldBeLessThan(30);

        // No worker has ever run against this one: none live, and no heartbeat age at all.
        await using var idle = await KilnTestHost.StartAsync("sqlite", pg, worker: false, overrides: MetricsTests.ScrapeToken);
        var none = PrometheusText.Parse(await MetricsTests.Scraper(idle).GetStringAsync("/metrics"));
        none.Value("kiln_workers_live").ShouldBe(0);
        none.Samples.ShouldNotContain(s => s.Name == "kiln_worker_heartbeat_age_seconds", none.Text);
    }


    /// <summary>What the OpenTelemetry Prometheus exporter makes of an instrument name: unit and type suffixes.</summary>
    private static bool Exported(string declared, string used) =>
        used == declared || (used.StartsWith(declared + "_", StringComparison.Ordinal)
            && used[(declared.Length + 1)..] is "total" or "seconds" or "bucket" or "sum" or "count" or "seconds_bucket" or "seconds_sum" or "seconds_count");

    [GeneratedRegex("\"(kiln_[a-z_]+)\"")]
    private static partial Regex Declared();

    [GeneratedRegex(@"\bkiln_[a-z_]+\b")]
    private static partial Regex Used();

    private sealed record ToolRun(int ExitCode, string Output);

    private static async Task<ToolRun> Promtool(params string[] args)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        if (promtool is null) Assert.Skip("promtool is not installed (apt-get install prometheus): the Prometheus files were not checked.");
        var psi = new ProcessStartInfo(promtool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var run = new ToolRun(p.ExitCode, await stdout + await stderr);
        run.ExitCode.ShouldBe(0, $"promtool {string.Join(' ', args)}:\n{run.Output}");
        return run;
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kiln.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Kiln.slnx not found above " + AppContext.BaseDirectory);
    }
}

using System.Globalization;
using Kiln.Bench.Chaos;

// Chaos harness: N mixed jobs on 2 web processes + 2 workers (PostgreSQL + s3rver, loopback only) while workers are
// killed with SIGKILL every few seconds, PostgreSQL restarts once, the S3 server stops for 30 s and a web process is
// killed — then checks that nothing was lost, run twice or charged wrongly. See bench/chaos/run.sh and bench/RESULTS.md.
var o = ChaosOptions.Parse(args);
if (Arg("scenario") == "fairness")
    return await Fairness.RunAsync(o, int.Parse(Arg("backlog") ?? "10000", CultureInfo.InvariantCulture),
        int.Parse(Arg("b-jobs") ?? "10", CultureInfo.InvariantCulture), int.Parse(Arg("cap") ?? "2", CultureInfo.InvariantCulture));
Console.Error.WriteLine($"# chaos: {o.Jobs} jobs over {o.CreateSeconds} s, {o.WebProcesses} web + {o.Workers} workers x {o.Concurrency} slots, " +
    $"kill a worker every {o.KillEverySeconds} s, PostgreSQL restart at {o.PgAt} s, S3 down at {o.S3At} s for {o.S3DownSeconds} s, web kill at {o.WebAt} s");

await using var stack = await Stack.StartAsync(o);
Console.Error.WriteLine($"# stack up in {stack.Dir} (logs in {stack.LogDir})");
var load = new Load(stack, o);
await load.PrepareAsync();
var chaos = new ChaosRun(stack, load, o);
var timeline = await chaos.RunAsync();
var report = await Checks.RunAsync(stack, load, timeline, o);
Console.WriteLine(report.Text);
if (o.Out is not null) await File.WriteAllTextAsync(o.Out, report.Text);
return report.Passed ? 0 : 1;

string? Arg(string name) => Array.IndexOf(args, $"--{name}") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

namespace Kiln.Bench.Chaos
{
    internal sealed record ChaosOptions(string Root, int Jobs, int CreateSeconds, int WebProcesses, int Workers, int Concurrency, int Workspaces,
        int KillEverySeconds, int PgAt, int S3At, int S3DownSeconds, int WebAt, int MaxSeconds, int LeaseSeconds, string Pdf, string? Out,
        bool KeepDir, int Seed)
    {
        public static ChaosOptions Parse(string[] args)
        {
            var d = new Dictionary<string, string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--keep") { d["keep"] = "true"; continue; }
                if (i + 1 < args.Length) d[args[i].TrimStart('-')] = args[++i];
            }
            string Get(string k, string def) => d.TryGetValue(k, out var v) ? v : def;
            int Int(string k, int def) => int.Parse(Get(k, def.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            var root = Get("root", Directory.GetCurrentDirectory());
            return new ChaosOptions(root, Int("jobs", 2000), Int("create-seconds", 60), Int("webs", 2), Int("workers", 2), Int("concurrency", 8),
                Int("workspaces", 4), Int("kill-every", 10), Int("pg-at", 15), Int("s3-at", 30), Int("s3-down", 30), Int("web-at", 45),
                Int("max-seconds", 900), Int("lease-seconds", 5), Get("pdf", Path.Combine(root, "bench", "chaos", "chaos.pdf")),
                d.GetValueOrDefault("out"), d.ContainsKey("keep"), Int("seed", 13));
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Kiln.Bench.Chaos;

/// <summary>What happened when, and how long each part took to come back.</summary>
internal sealed class Timeline
{
    public DateTime Start { get; init; }
    public ConcurrentQueue<string> Events { get; } = new();
    public int WorkerKills;
    public DateTime? PgStopped, PgBack, S3Stopped, S3Back, WebKilled, WebBack;
    /// <summary>Per web process: the first authenticated API answer (a database read) after PostgreSQL came back.</summary>
    public ConcurrentDictionary<int, DateTime> ApiBackAfterPg { get; } = new();
    public DateTime? AllFinal;
    public bool TimedOut;

    public void Log(string what)
    {
        var line = $"{(DateTime.UtcNow - Start).TotalSeconds,7:0.00} s  {what}";
        Events.Enqueue(line);
        Console.Error.WriteLine(line);
    }
}

/// <summary>Runs the load and, beside it, the faults on their schedule; returns when every created job is final (or at the time limit).</summary>
internal sealed class ChaosRun(Stack stack, Load load, ChaosOptions o)
{
    public async Task<Timeline> RunAsync()
    {
        var t = new Timeline { Start = DateTime.UtcNow };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(o.MaxSeconds));
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var creating = load.CreateAllAsync(stop.Token);
        var faults = new[]
        {
            KillWorkersAsync(t, done.Token),
            At(o.PgAt, () => RestartPostgresAsync(t), done.Token),
            At(o.S3At, () => StopS3Async(t), done.Token),
            At(o.WebAt, () => KillWebAsync(t), done.Token),
            ProbeAsync(t, done.Token),
        };
        try
        {
            await creating;
            t.Log($"all {load.Specs.Count} creations answered ({load.Specs.Count(s => s.JobId is null)} gave up)");
            // Every fault has to have happened before "all final" counts.
            while (!stop.IsCancellationRequested && (t.WebBack is null || t.S3Back is null || t.PgBack is null || !await AllFinalAsync()))
                await Task.Delay(500, stop.Token);
            t.AllFinal = DateTime.UtcNow;
            t.Log("every created job is final");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            t.TimedOut = true;
            t.Log($"time limit of {o.MaxSeconds} s reached");
        }
        await done.CancelAsync();
        foreach (var f in faults) await f.ContinueWith(_ => { }, TaskScheduler.Default);
        // A worker killed last is running again (as a supervisor would have it), so the stack is whole for the checks.
        foreach (var w in stack.Workers.Where(w => !w.Running)) Stack.Restart(w);
        return t;
    }

    private async Task<bool> AllFinalAsync()
    {
        try { return await stack.PsqlAsync("SELECT count(*) FROM jobs WHERE status < 2") == "0"; }
        catch (InvalidOperationException) { return false; }
    }

    private async Task At(int seconds, Func<Task> fault, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        await fault();
    }

    private async Task KillWorkersAsync(Timeline t, CancellationToken ct)
    {
        var random = new Random(o.Seed);
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(o.KillEverySeconds), ct);
            var worker = stack.Workers[random.Next(stack.Workers.Count)];
            var pid = worker.Pid;
            await worker.KillAsync();
            Interlocked.Increment(ref t.WorkerKills);
            Stack.Restart(worker);
            t.Log($"kill -9 {worker.Name} (pid {pid}); restarted as pid {worker.Pid}");
        }
    }

    private async Task RestartPostgresAsync(Timeline t)
    {
        t.Log("PostgreSQL: fast shutdown");
        t.PgStopped = DateTime.UtcNow;
        await stack.StopPostgresAsync();
        t.Log("PostgreSQL: stopped; starting");
        await stack.StartPostgresAsync();
        t.PgBack = DateTime.UtcNow;
        t.Log("PostgreSQL: accepting connections");
    }

    private async Task StopS3Async(Timeline t)
    {
        await stack.S3.KillAsync();
        t.S3Stopped = DateTime.UtcNow;
        t.Log($"S3 server stopped for {o.S3DownSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(o.S3DownSeconds));
        await stack.StartS3Async();
        t.S3Back = DateTime.UtcNow;
        t.Log("S3 server back");
    }

    private async Task KillWebAsync(Timeline t)
    {
        var web = stack.Webs[^1];
        await web.Process.KillAsync();
        t.WebKilled = DateTime.UtcNow;
        t.Log($"kill -9 {web.Process.Name}; restarting");
        stack.Restart(web);
        await stack.WaitLiveAsync(web, TimeSpan.FromSeconds(240));
        t.WebBack = DateTime.UtcNow;
        t.Log($"{web.Process.Name} answers /health/live again");
    }

    /// <summary>Every 100 ms, an authenticated read (the balance: a database query) on each web process.</summary>
    private async Task ProbeAsync(Timeline t, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            for (var i = 0; i < stack.Webs.Count; i++)
            {
                if (t.PgBack is null || t.ApiBackAfterPg.ContainsKey(i)) continue;
                var sent = DateTime.UtcNow;
                try
                {
                    using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var r = await load.Probe.GetAsync(new Uri($"http://127.0.0.1:{stack.Webs[i].Port}/api/credits"), probe.Token);
                    if (r.IsSuccessStatusCode && sent >= t.PgBack)
                    {
                        t.ApiBackAfterPg[i] = DateTime.UtcNow;
                        t.Log($"web-{i + 1} answered the API {(DateTime.UtcNow - t.PgBack.Value).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s after PostgreSQL came back");
                    }
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
            }
            await Task.Delay(100, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}

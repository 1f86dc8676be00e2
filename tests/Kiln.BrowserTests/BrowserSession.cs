using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Kiln.BrowserTests;

/// <summary>One browser context (one signed-in person) that screenshots every page it visits.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string Password = "correct-horse-42";
    private readonly KilnApp _app;
    private readonly string _dir;
    private readonly string _who;
    private readonly IBrowserContext _context;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Counters = new();

    private BrowserSession(KilnApp app, IBrowserContext context, IPage page, string test, string who)
    {
        _app = app;
        _context = context;
        Page = page;
        _who = who;
        _dir = Path.Combine(AppContext.BaseDirectory, "screenshots", test);
        // A fresh folder per run: stale shots from an earlier run would pass for this run's evidence.
        if (Counters.TryAdd(_dir, 0) && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        Directory.CreateDirectory(_dir);
    }

    public IPage Page { get; }

    /// <param name="bypassCsp">Lets a test inject a script (axe-core) past the app's Content-Security-Policy.</param>
    public static async Task<BrowserSession> OpenAsync(KilnApp app, string test, string who = "user", bool javaScript = true, bool bypassCsp = false)
    {
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl, AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, JavaScriptEnabled = javaScript,
            BypassCSP = bypassCsp,
        });
        // Generous: the machine is shared, and a loaded CI box should slow the tests down, not fail them.
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        // Browser-side errors go to the test output: a broken script otherwise only shows up as a timeout.
        page.Console += (_, m) => { if (m.Type is "error" or "warning") TestContext.Current.TestOutputHelper?.WriteLine($"[{who} console {m.Type}] {m.Text}"); };
        page.PageError += (_, e) => TestContext.Current.TestOutputHelper?.WriteLine($"[{who} page error] {e}");
        return new BrowserSession(app, context, page, test, who);
    }

    public async Task<IResponse?> GoAsync(string path)
    {
        var response = await Page.GotoAsync(path);
        await ShotAsync();
        return response;
    }

    /// <summary>A full-page screenshot named after the page's path, numbered in visiting order across the test.</summary>
    public async Task ShotAsync(string? label = null)
    {
        var path = new Uri(Page.Url).AbsolutePath.Trim('/');
        var name = Regex.Replace(label ?? (path.Length == 0 ? "home" : path), "[^a-zA-Z0-9]+", "-").Trim('-');
        var n = Counters.AddOrUpdate(_dir, 1, (_, c) => c + 1);
        // A screenshot is a record for people, not an assertion: Chromium now and then refuses one ("Unable to capture
        // screenshot" while a page is still painting), which must not fail the journey it records.
        try { await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_dir, $"{n:D2}-{_who}-{name}.png"), FullPage = true }); }
        catch (PlaywrightException ex) when (ex.Message.Contains("Unable to capture screenshot", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"Screenshot of {Page.Url} skipped: {ex.Message.Split('\n')[0]}");
        }
    }

    public async Task SignUpAsync(string email)
    {
        await GoAsync("/signup");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Page.WaitForURLAsync("**/dashboard");
        await ShotAsync();
    }

    public async Task SignInAsync(string email)
    {
        await GoAsync("/signin");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Page.WaitForURLAsync("**/dashboard");
        await ShotAsync();
    }

    /// <summary>Phone width: the layout must hold at 375 px.</summary>
    public async Task MobileShotAsync(string label)
    {
        await Page.SetViewportSizeAsync(375, 800);
        await ShotAsync(label + "-375px");
        // No sideways scrolling on a phone: the page is exactly as wide as the viewport.
        var wide = await Page.EvaluateAsync<string>("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).join(' | ')");
        (await Page.EvaluateAsync<int>("document.documentElement.scrollWidth")).ShouldBeLessThanOrEqualTo(375, $"{label} overflows at 375 px: {wide}");
        await Page.SetViewportSizeAsync(1280, 900);
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    public KilnApp App => _app;
}

using Microsoft.Extensions.Logging;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// Collects the host's error logs (unhandled exceptions behind a 500, failed background work) so a failing test can
/// show them; the JSON console logs are not visible in test output.
/// </summary>
public sealed class ErrorLog : ILoggerProvider
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries { get { lock (_entries) return _entries.ToList(); } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            lock (log._entries) log._entries.Add($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}

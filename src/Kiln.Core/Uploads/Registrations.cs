using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Uploads;

public static class UploadRegistrations
{
    /// <summary>The upload use cases, bound to <c>Kiln:Uploads</c>. Needs <c>AddKilnData</c> and <c>AddStorage</c>.</summary>
    public static IServiceCollection AddUploads(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddContentValidation(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<UploadValidator>();
        services.AddScoped<CreateUploadCommand>();
        services.AddScoped<UploadFinisher>();
        services.AddScoped<UploadLinkState>();
        services.AddScoped<CompleteUploadCommand>();
        services.AddSingleton<UrlFetcher>();
        services.AddSingleton<UrlImportGate>();
        services.AddScoped<ImportUploadFromUrlCommand>();
        services.AddScoped<GetUploadQuery>();
        services.AddScoped<ListUploadsQuery>();
        services.AddScoped<DeleteUploadCommand>();
        services.AddScoped<ExpiredUploadsSweeper>();
        return services;
    }

    /// <summary>
    /// <see cref="ContentValidator"/> and the inspectors and tools behind it, bound to <c>Kiln:Uploads</c> (tool paths and
    /// timeout). Needs no database or storage, so the CLI uses it for local files.
    /// </summary>
    public static IServiceCollection AddContentValidation(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<UploadOptions>(configuration.GetSection("Kiln:Uploads"));
        services.TryAddSingleton<Kiln.Core.Media.IProcessRunner, Kiln.Core.Media.ProcessRunner>();
        services.TryAddSingleton<ToolRunner>();
        services.TryAddSingleton<PdfInspector>();
        services.TryAddSingleton<MediaInspector>();
        services.TryAddSingleton<ContentValidator>();
        return services;
    }

    /// <summary>Runs the expired-upload sweep in this host (register it in exactly one kind of host, e.g. the worker).</summary>
    public static IServiceCollection AddUploadSweeper(this IServiceCollection services)
    {
        services.AddHostedService<UploadSweepService>();
        return services;
    }
}

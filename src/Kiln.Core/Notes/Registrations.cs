using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Notes;

public static class NotesRegistrations
{
    /// <summary>The notes area: queries and commands over notes, versions and links, search and export.</summary>
    public static IServiceCollection AddNotes(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<NotesOptions>(config.GetSection("Kiln:Notes"));
        services.AddScoped<ListNotesQuery>();
        services.AddScoped<GetNoteQuery>();
        services.AddScoped<ListNoteVersionsQuery>();
        services.AddScoped<NoteLinksQuery>();
        services.AddScoped<SaveGeneratedNoteCommand>();
        services.AddScoped<UpdateNoteCommand>();
        services.AddScoped<RestoreNoteVersionCommand>();
        services.AddScoped<DeleteNoteCommand>();
        services.AddScoped<NoteExporter>();
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Storage;

public static class StorageRegistrations
{
    /// <summary>Registers <see cref="IBlobStore"/> from <c>Kiln:Storage</c> (Provider = Local | S3).</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BlobStoreOptions>(configuration.GetSection("Kiln:Storage"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new LocalDiskBlobStore(sp.GetRequiredService<IOptions<BlobStoreOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new S3BlobStore(sp.GetRequiredService<IOptions<BlobStoreOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IBlobStore>(sp => new MeteredBlobStore(sp.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Provider == BlobStoreProvider.S3
            ? sp.GetRequiredService<S3BlobStore>()
            : sp.GetRequiredService<LocalDiskBlobStore>()));
        return services;
    }
}

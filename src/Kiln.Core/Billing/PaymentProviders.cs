using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

/// <summary>
/// The providers this installation talks to. Checkouts go to the one named by <c>Kiln:Billing:Provider</c>; webhooks
/// are accepted for every configured provider so that subscriptions survive a switch of the checkout provider.
/// </summary>
public sealed class PaymentProviders(IEnumerable<IPaymentProvider> providers, IOptions<BillingOptions> options)
{
    private readonly Dictionary<string, IPaymentProvider> _byName = providers.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public Result<IPaymentProvider> Active =>
        _byName.TryGetValue(options.Value.Provider, out var p) ? ResultOf.Ok(p) : BillingErrors.NotConfigured;

    /// <summary>Every configured provider, the checkout one and the webhook-only ones.</summary>
    public IEnumerable<IPaymentProvider> All => _byName.Values;

    public Result<IPaymentProvider> Find(string name) =>
        _byName.TryGetValue(name, out var p) ? ResultOf.Ok(p) : BillingErrors.UnknownProvider(name);
}

internal static class ResultOf
{
    // User-defined conversions from interface types are not allowed; going through a type parameter is.
    public static Result<T> Ok<T>(T value) => value;
}

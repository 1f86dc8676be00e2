namespace Kiln.Web.Infrastructure.ExternalAuth;

/// <summary>
/// An outside issuer whose JWTs the API accepts as bearer tokens (Clerk, Supabase, Auth0, Keycloak…), bound from
/// <c>Kiln:Auth:ExternalIssuers:{name}</c>. The person behind a token becomes (or is linked to) a Kiln account on first
/// sight, keyed by issuer name and subject.
/// </summary>
public sealed class ExternalIssuerOptions
{
    public const string Section = "Kiln:Auth:ExternalIssuers";
    public static readonly string[] DefaultAlgorithms = ["RS256", "ES256"];

    /// <summary>The exact <c>iss</c> of its tokens, e.g. <c>https://clerk.example.com</c>.</summary>
    public string Issuer { get; set; } = "";
    /// <summary>The <c>aud</c> its tokens must carry (Kiln's client or API identifier at that issuer).</summary>
    public string Audience { get; set; } = "";
    /// <summary>Where its signing keys are published (a JSON Web Key Set).</summary>
    public string JwksUrl { get; set; } = "";
    /// <summary>Signature algorithms accepted; anything else (none, HS256 …) is refused. Default RS256 and ES256.</summary>
    public string[]? Algorithms { get; set; }
    public int ClockSkewSeconds { get; set; } = 60;
    /// <summary>Signing keys are fetched again after this long even when every kid is known.</summary>
    public int JwksRefreshMinutes { get; set; } = 60;
    /// <summary>An unknown kid fetches the key set again (key rotation), at most once per this many seconds.</summary>
    public int UnknownKidRefreshSeconds { get; set; } = 30;
    public string EmailClaim { get; set; } = "email";
    public string EmailVerifiedClaim { get; set; } = "email_verified";
    public string NameClaim { get; set; } = "name";
    /// <summary>Treat every email this issuer states as verified (an issuer that only issues tokens to confirmed addresses).</summary>
    public bool EmailsAreVerified { get; set; }
    /// <summary>Shown in the list of a user's connected providers; the configuration name if empty.</summary>
    public string? DisplayName { get; set; }

    public IReadOnlyList<string> AllowedAlgorithms => Algorithms is { Length: > 0 } a ? a : DefaultAlgorithms;
}

/// <summary>The configured issuers by name, checked at startup so a typo fails loudly instead of refusing every token.</summary>
public sealed class ExternalIssuers
{
    private readonly Dictionary<string, (string Name, ExternalIssuerOptions Options)> _byIssuer = new(StringComparer.Ordinal);

    public ExternalIssuers(IConfiguration config)
    {
        foreach (var section in config.GetSection(ExternalIssuerOptions.Section).GetChildren())
        {
            var o = section.Get<ExternalIssuerOptions>() ?? new();
            if (string.IsNullOrWhiteSpace(o.Issuer) || string.IsNullOrWhiteSpace(o.Audience) || !Uri.TryCreate(o.JwksUrl, UriKind.Absolute, out _))
                throw new InvalidOperationException($"{ExternalIssuerOptions.Section}:{section.Key} needs Issuer, Audience and an absolute JwksUrl.");
            var weak = o.AllowedAlgorithms.FirstOrDefault(a => !a.StartsWith("RS", StringComparison.Ordinal) && !a.StartsWith("ES", StringComparison.Ordinal)
                && !a.StartsWith("PS", StringComparison.Ordinal));
            if (weak is not null)
                throw new InvalidOperationException($"{ExternalIssuerOptions.Section}:{section.Key}: algorithm {weak} is not allowed; use public-key algorithms (RS*, PS*, ES*).");
            _byIssuer[o.Issuer] = (section.Key, o);
        }
    }

    public bool Any => _byIssuer.Count > 0;

    public (string Name, ExternalIssuerOptions Options)? Find(string? issuer) =>
        issuer is not null && _byIssuer.TryGetValue(issuer, out var hit) ? hit : null;
}

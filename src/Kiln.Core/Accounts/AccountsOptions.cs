namespace Kiln.Core.Accounts;

/// <summary>Bound from <c>Kiln:Accounts</c>.</summary>
public sealed class AccountsOptions
{
    /// <summary>Credits granted to every new personal workspace.</summary>
    public long FreeGrant { get; set; } = 25;
    /// <summary>Jobs a workspace may run at once unless the workspace overrides it.</summary>
    public int DefaultMaxConcurrentJobs { get; set; } = 2;
    public bool AllowSignUp { get; set; } = true;
}

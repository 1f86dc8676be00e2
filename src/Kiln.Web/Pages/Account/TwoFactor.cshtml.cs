using Kiln.Core.Accounts.TwoFactor;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Account;

/// <summary>Set up, use and turn off two-factor sign-in: QR code and key, the first code, recovery codes shown once.</summary>
[Authorize]
public sealed class TwoFactorModel(TwoFactorService twoFactor, Kiln.Core.Accounts.Profile.GetProfileQuery profiles) : KilnPageModel
{
    protected override bool ViewersMayPost => true;

    public bool Enabled { get; private set; }
    public int RecoveryCodesLeft { get; private set; }
    public AuthenticatorSetup? Setup { get; private set; }
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }
    [BindProperty(SupportsGet = true)] public bool Required { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public string? CurrentPassword { get; set; }

    private Guid UserId => Me.UserId ?? throw new InvalidOperationException("Two-factor settings need a signed-in user.");

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostEnableAsync(CancellationToken ct)
    {
        var result = await twoFactor.EnableAsync(UserId, Code, ct);
        if (result.Error is { } e) ModelState.AddModelError(nameof(Code), e.Message);
        else RecoveryCodes = result.Value;
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRecoveryCodesAsync(CancellationToken ct)
    {
        var result = await twoFactor.RegenerateRecoveryCodesAsync(UserId, Code, ct);
        if (result.Error is { } e) ModelState.AddModelError(nameof(Code), e.Message);
        else RecoveryCodes = result.Value;
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(CancellationToken ct)
    {
        var result = await twoFactor.DisableAsync(UserId, CurrentPassword, ct);
        if (result.Error is { } e)
        {
            ModelState.AddModelError(nameof(CurrentPassword), e.Message);
            await LoadAsync(ct);
            return Page();
        }
        TempData["Flash"] = "Two-factor sign-in is off.";
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var profile = (await profiles.Run(UserId, ct)).Value!;
        Enabled = profile.TwoFactorEnabled;
        RecoveryCodesLeft = profile.RecoveryCodesLeft;
        if (!Enabled) Setup = (await twoFactor.BeginSetupAsync(UserId, ct)).Value;
    }
}

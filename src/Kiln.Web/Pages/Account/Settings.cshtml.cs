using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Email;
using Kiln.Core.Accounts.Profile;
using Kiln.Core.Accounts.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Account;

/// <summary>
/// The signed-in user's own settings: display name, email (verification, change), password, devices, notification
/// emails, two-factor sign-in and connected sign-in providers. Each form posts to its own handler; errors show next to
/// the field they are about.
/// </summary>
[Authorize]
public sealed class SettingsModel(GetProfileQuery profiles, UpdateProfileCommand updateProfile, SendVerificationEmailCommand resend,
    RequestEmailChangeCommand changeEmail, ChangePasswordCommand changePassword, ListSessionsQuery sessions, RevokeSessionCommand revokeSession,
    SessionRevocations revocations, NotificationSettingsStore notifications, IConnectedProvidersQuery providers, SignInManager<KilnUser> signIn) : KilnPageModel
{
    protected override bool ViewersMayPost => true;

    public AccountProfile Profile { get; private set; } = null!;
    public IReadOnlyList<UserSession> Sessions { get; private set; } = [];
    /// <summary>This browser's own session, marked in the device list.</summary>
    public Guid? CurrentSessionId => Me.SessionId;
    public IReadOnlyList<ConnectedProvider> Providers { get; private set; } = [];

    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string? NewEmail { get; set; }
    [BindProperty] public string? EmailPassword { get; set; }
    [BindProperty] public string? CurrentPassword { get; set; }
    [BindProperty] public string? NewPassword { get; set; }
    [BindProperty] public NotificationSettings Notifications { get; set; } = new(true, true, true, true, true);

    private Guid UserId => Me.UserId ?? throw new InvalidOperationException("Settings need a signed-in user.");

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        DisplayName = Profile.DisplayName;
        Notifications = await notifications.Get(UserId, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostProfileAsync(CancellationToken ct)
    {
        var result = await updateProfile.Run(UserId, DisplayName, ct);
        if (result.Error is { } e) return await Invalid(nameof(DisplayName), e.Message, ct);
        return Done("Your display name was saved.");
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken ct)
    {
        var result = await resend.Run(UserId, ct);
        return Done(result.Error?.Message ?? "We sent a new confirmation link; the previous one no longer works.");
    }

    public async Task<IActionResult> OnPostEmailAsync(CancellationToken ct)
    {
        var result = await changeEmail.Run(UserId, NewEmail, EmailPassword, ct);
        if (result.Error is { } e) return await Invalid(e.Code == "wrong_password" ? nameof(EmailPassword) : nameof(NewEmail), e.Message, ct);
        return Done($"We sent a link to {result.Value}. Your address changes when you open it.");
    }

    public async Task<IActionResult> OnPostPasswordAsync(CancellationToken ct)
    {
        var result = await changePassword.Run(UserId, CurrentPassword ?? "", NewPassword ?? "", ct);
        if (result.Error is { } e) return await Invalid(e.Code == "wrong_password" ? nameof(CurrentPassword) : nameof(NewPassword), e.Message, ct);
        // Every other device is signed out; this browser stays signed in with a cookie that carries the new stamp.
        await signIn.RefreshSignInAsync(result.Value!);
        return Done("Your password was changed. Every other device was signed out.");
    }

    public async Task<IActionResult> OnPostRevokeSessionAsync(Guid sessionId, CancellationToken ct)
    {
        var result = await revokeSession.Run(UserId, sessionId, ct);
        return Done(result.Error?.Message ?? "That device was signed out.");
    }

    public async Task<IActionResult> OnPostSignOutEverywhereAsync(CancellationToken ct)
    {
        await revocations.RevokeAllAsync(UserId, "logout_all", ct);
        await signIn.SignOutAsync();
        TempData["Flash"] = "You were signed out on every device.";
        return Redirect("/signin");
    }

    public async Task<IActionResult> OnPostNotificationsAsync(CancellationToken ct)
    {
        await notifications.Set(UserId, Notifications, ct);
        return Done("Your notification settings were saved.");
    }

    private RedirectToPageResult Done(string message)
    {
        TempData["Flash"] = message;
        return RedirectToPage();
    }

    private async Task<IActionResult> Invalid(string field, string message, CancellationToken ct)
    {
        ModelState.AddModelError(field, message);
        await LoadAsync(ct);
        Notifications = await notifications.Get(UserId, ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Profile = (await profiles.Run(UserId, ct)).Value!;
        Sessions = await sessions.Run(UserId, ct);
        Providers = await providers.Run(UserId, ct);
    }
}

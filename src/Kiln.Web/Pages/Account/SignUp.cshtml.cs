using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Pages.Account;

public sealed class SignUpModel(CreateAccountCommand create, SignInManager<KilnUser> signIn, IOptions<AccountsOptions> options, Kiln.Web.Infrastructure.AbuseLimits limits) : PageModel
{
    public sealed class InputModel
    {
        [Required(ErrorMessage = "Enter your email address."), EmailAddress(ErrorMessage = "Enter a valid email address."), Display(Name = "Email")]
        public string Email { get; set; } = "";
        [Required(ErrorMessage = "Choose a password."), MinLength(8, ErrorMessage = "Use at least 8 characters.")]
        public string Password { get; set; } = "";
        [MaxLength(100)]
        public string? DisplayName { get; set; }
    }

    [BindProperty] public InputModel Input { get; set; } = new();
    /// <summary>Where to go after signing up (an invitation link); local paths only.</summary>
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public bool Open => options.Value.AllowSignUp;
    public long FreeGrant => options.Value.FreeGrant;

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Open) return Page();
        if (!ModelState.IsValid) return Page();
        if (await limits.SignUpAsync(HttpContext, ct) is not null)
        {
            ModelState.AddModelError("", "Too many accounts were created from this network recently; try again later.");
            return Page();
        }
        var result = await create.Run(Input.Email, Input.Password, string.IsNullOrWhiteSpace(Input.DisplayName) ? null : Input.DisplayName.Trim(), isAdmin: false, ct);
        if (result.Error is { } e)
        {
            ModelState.AddModelError(e.Code is "email_taken" or "invalid_email" ? "Input.Email" : e.Code == "invalid_display_name" ? "Input.DisplayName" : "", e.Message);
            return Page();
        }
        await signIn.SignInAsync(result.Value!, isPersistent: true);
        TempData["Flash"] = $"Welcome to Kiln! Your workspace has {FreeGrant} free credits.";
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard");
    }
}

using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Pages.Account;

public sealed class SignUpModel(CreateAccountCommand create, SignInManager<KilnUser> signIn, IOptions<AccountsOptions> options) : PageModel
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
    public bool Open => options.Value.AllowSignUp;
    public long FreeGrant => options.Value.FreeGrant;

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Open) return Page();
        if (!ModelState.IsValid) return Page();
        var result = await create.Run(Input.Email, Input.Password, string.IsNullOrWhiteSpace(Input.DisplayName) ? null : Input.DisplayName.Trim(), isAdmin: false, ct);
        if (result.Error is { } e)
        {
            ModelState.AddModelError(e.Code == "email_taken" ? "Input.Email" : "", e.Message);
            return Page();
        }
        await signIn.SignInAsync(result.Value!, isPersistent: true);
        TempData["Flash"] = $"Welcome to Kiln! Your workspace has {FreeGrant} free credits.";
        return Redirect("/dashboard");
    }
}

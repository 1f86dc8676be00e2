using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

public sealed class SignInModel(SignInManager<KilnUser> signIn) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter your email address.")] public string Email { get; set; } = "";
    [BindProperty, Required(ErrorMessage = "Enter your password.")] public string Password { get; set; } = "";
    [BindProperty, Display(Name = "Keep me signed in")] public bool RememberMe { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid) return Page();
        var result = await signIn.PasswordSignInAsync(Email.Trim(), Password, RememberMe, lockoutOnFailure: true);
        if (result.IsLockedOut)
        {
            ModelState.AddModelError("", "Too many failed attempts; try again in a few minutes.");
            return Page();
        }
        if (!result.Succeeded)
        {
            ModelState.AddModelError("", "The email or password is wrong.");
            return Page();
        }
        // Only local return URLs: an open redirect would make the sign-in page a phishing tool.
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard");
    }
}

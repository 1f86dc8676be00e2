using System.ComponentModel.DataAnnotations;
using Kiln.Web.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>Asks for a reset link. The page says the same thing whether or not the address has an account.</summary>
public sealed class ForgotPasswordModel(PasswordResetRequests requests) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter your email address."), EmailAddress(ErrorMessage = "Enter a valid email address."), Display(Name = "Email")]
    public string Email { get; set; } = "";
    public bool Sent { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid) return Page();
        if (await requests.RequestAsync(HttpContext, Email, ct) is not null)
        {
            ModelState.AddModelError("", "Too many requests from here; wait a minute and try again.");
            return Page();
        }
        Sent = true;
        return Page();
    }
}

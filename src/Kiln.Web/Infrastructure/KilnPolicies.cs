namespace Kiln.Web.Infrastructure;

public static class KilnPolicies
{
    public const string Admin = "admin";
    public const string Scheme = "Kiln";
}

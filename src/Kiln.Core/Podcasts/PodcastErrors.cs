using Kiln.Core.Common;

namespace Kiln.Core.Podcasts;

public static class PodcastErrors
{
    public static Error ShowNotFound => Error.NotFound("The show");
    public static Error EpisodeNotFound => Error.NotFound("The episode");
    public static Error Invalid(string field, string message) =>
        new("invalid_" + field, message, ErrorKind.Invalid) { Extensions = new Dictionary<string, object?> { ["field"] = field } };
    public static Error SlugTaken(string slug) =>
        new("slug_taken", $"The address '{slug}' is already used by another show; choose another.", ErrorKind.Conflict) { Extensions = new Dictionary<string, object?> { ["field"] = "slug" } };
    public static Error TooManyShows(int max) =>
        new("plan_show_limit", $"Your plan includes {max} show{(max == 1 ? "" : "s")}. Upgrade your plan on the pricing page (/pricing) to add more.", ErrorKind.Forbidden)
        {
            Extensions = new Dictionary<string, object?> { ["limit"] = max, ["upgradeUrl"] = "/pricing" },
        };
    public static Error NotPublishable(string why) => Error.Conflict("episode_not_ready", why);
}

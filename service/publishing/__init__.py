"""Writing and publishing case studies (a feature): the /case-studies API and the authoring rules it
applies, which combine the case domain, the moderation workflow and the notice to discussion followers.
The domains below do not call each other for it: this layer calls each of them."""

"""The indexing pipeline of the app: one outbox for every indexed kind (cases, discussion threads),
one worker loop applying them through a registry of appliers, one start-up reconciliation.

Search infrastructure, apart from the search feature (service/search/): the feature reads the index,
this package keeps it in step with the database."""

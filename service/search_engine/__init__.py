"""Search infrastructure of one process, below the search feature (service/search) and the indexing
pipeline (service/indexjobs): the engine (embedding model, indexes, retriever), the bound on
request-time embeddings, and the document a case becomes in the index."""

"""What territories do on Retex and who is like them (a feature above the territory, case, funding,
pooling and search domains): the cases of a territory and its thematic vector, similar territories and
the explanation of a score, experiences of similar territories, the fit of a case for a reader,
mutualisation partners. The reference data itself (codes, bands, names, the similarity formula) stays
in service/territories/."""

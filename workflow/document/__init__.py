"""One document, shared by translate, review and the reports: the plan (Chinese segments
against recorded memory), pairing old records with new segments and carrying patches,
assembling the English file from records, and writing the English file and memory as a pair.

This layer is below both `translate` and `review` because each builds on it and
`translate --force` builds on `review`."""

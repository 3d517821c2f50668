"""Read-mostly commands over translated documents: the CI gate (`check`), statistics
(`stats`) and the bilingual pages (`publish`)."""

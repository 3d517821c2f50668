"""The OpenStack glossary: its terms and their matching (`terms`), enforcement around the
engine (`enforce`), editing and lint (`edit`), exchange formats (`exchange`) and the
check that the English honours it (`qa`)."""

"""What lies on disk: crash-safe files, Markdown posts with front matter, the per-document
memory and its fast header scan, and which documents a set of paths names."""

"""Text stages: pure functions over strings, no files, no settings, no glossary.

Markdown segmentation (`segment`), placeholders for inline markup (`protect`),
sentences (`sentences`), English typography (`typography`) and the structural
skeleton that must survive translation (`skeleton`).
"""

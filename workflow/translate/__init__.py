"""`workflow translate`: one engine call for the whole run, machine text, carried edits, writes."""

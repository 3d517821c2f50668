"""`workflow review`: recording editors' edits (`record`), attributing an edited English
file to segments (`edits`) and the views of the differences (`views`)."""

"""The garbage collector: ownerReference cascading in the background, foreground and orphan modes."""

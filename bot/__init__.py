"""chatprint: print what people send in a chat on their own Epson printer."""

__version__ = "0.1.0"

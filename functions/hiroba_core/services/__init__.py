"""One function per use case. Routes and CLIs call these; they call the store and domain."""

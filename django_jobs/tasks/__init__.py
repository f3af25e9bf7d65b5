"""Built-in tasks, one module each; import the module you use (nothing is imported here)."""

"""One module per subcommand; each holds a thin click command over the library."""

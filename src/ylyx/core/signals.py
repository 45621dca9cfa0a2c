"""SQLite pragmas are set per connection by init_command; nothing else is needed here yet."""

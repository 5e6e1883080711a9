"""The console's server-rendered pages (Jinja2, autoescaped) and their form handling."""

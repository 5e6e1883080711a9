"""Reports built from the monitoring history (availability per port, site and client)."""

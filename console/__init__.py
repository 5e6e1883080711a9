"""The console: alerts, acks, delivery log and maintenance records (ARCHITECTURE 1.5)."""

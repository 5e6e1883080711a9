"""The OCPP collector: a central system for OCPP 1.6J and 2.0.1 that serves fleet metrics."""

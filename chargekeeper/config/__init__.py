"""Configuration models shared by every Chargekeeper service, loaded from a config directory."""

from chargekeeper.config.fleet import Charger, Client, Fleet, Site, UnknownChargers, load_fleet
from chargekeeper.config.loader import ConfigError, load_model

__all__ = [
    "Charger",
    "Client",
    "ConfigError",
    "Fleet",
    "Site",
    "UnknownChargers",
    "load_fleet",
    "load_model",
]

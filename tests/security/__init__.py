"""Issue 15's findings replayed as attacks: each must be refused, bounded or reported."""

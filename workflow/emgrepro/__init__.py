"""emgrepro: reproducible sEMG gesture-recognition experiments."""

__version__ = "0.1.0"

from .pygments_stylesheet import register

__all__ = ["register"]

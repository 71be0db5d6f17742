"""Delivery backends: outbox (.eml files), smtp (any server), gmail (yagmail connection)."""

from .base import Backend, DeliveryError, SendResult
from .outbox import OutboxBackend

__all__ = ["Backend", "DeliveryError", "OutboxBackend", "SendResult"]

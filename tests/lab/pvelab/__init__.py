"""The iac.proxmox PVE lab: fakepve extended with what the collection needs, serving a seeded cluster."""

from .lab import LabPve, is_write
from .runner import LabServer

__all__ = ['LabPve', 'LabServer', 'is_write']

"""SnapStart Cleaner: delete Lambda SnapStart versions that bill for nothing, through a reviewed PR."""

__version__ = "0.2.0"

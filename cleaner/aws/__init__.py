"""Thin adapters over boto3: they turn AWS responses into the plain data of `cleaner.inventory`."""

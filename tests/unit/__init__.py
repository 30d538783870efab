"""Fast tests of the pure core: no AWS, no moto, no network."""

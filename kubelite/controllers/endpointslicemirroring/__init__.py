"""EndpointSlices mirrored from the Endpoints of Services without a selector (endpoints managed by hand)."""

"""Endpoints and EndpointSlices from Service selectors and pod readiness."""

"""Simulated nodes (as kwok does): nodes that register, heartbeat and run pods without containers,
for scale tests, benchmarks and demos."""

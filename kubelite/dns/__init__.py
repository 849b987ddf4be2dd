"""Cluster DNS: names for Services and Pods under ``cluster.local``, everything else forwarded.

``records`` answers questions from an index built from Services and EndpointSlices (pure);
``server`` speaks the protocol over UDP and TCP with dnslib and forwards names outside the zone to
the host's resolvers.
"""

"""Container networking: a bridge with IPAM, a veth pair per container, NAT and port publishing.

Split by concern: :mod:`.ipam` (pure address allocation), :mod:`.ports` (parsing ``-p``),
:mod:`.nft` (pure nftables ruleset computation), :mod:`.kernel` (the one seam to ``ip``/``nft``/sysctl,
with a recording fake), :mod:`.bridge` (the setup and teardown steps, driven through the seam) and
:mod:`.files` (/etc/hosts and /etc/resolv.conf for the container).
"""

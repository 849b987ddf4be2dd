"""The service proxy: Services and EndpointSlices into kernel packet rules (nftables), on every node.

``model`` turns API objects into service ports and endpoints; ``rules`` computes kubelite's whole
nftables table from them (a pure function); ``nft`` diffs two tables into one atomic ``nft -f``
transaction that touches only what changed, so live connections never see a flush.
"""

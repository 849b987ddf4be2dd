"""Render a :class:`~kubelite.proxy.rules.Table` as an ``nft -f`` script, whole or as a diff.

The first sync replaces our table in one transaction (``add`` then ``delete`` then the full table, so
it works whether or not a stale table exists); established connections keep their NAT through
conntrack. Later syncs send only the difference: new chains and sets are created, map elements are
deleted and added, a changed chain is flushed and refilled, removed chains are emptied and deleted
after every reference to them is gone. The whole script is applied atomically by nft.
"""

from __future__ import annotations

from kubelite.proxy.rules import TABLE, Chain, Map, Set, Table

FAMILY = "ip"


def _q(name: str) -> str:
    """Names go unquoted: nft's identifiers take '/', '.' and '-' after a leading letter, which every
    name we generate has (Debian 12's nft 1.0.6 rejects quoted names here)."""
    return name


def _set_spec(s: Set) -> str:
    parts = [f"type {s.type};"]
    if s.flags:
        parts.append(f"flags {s.flags};")
    if s.timeout:
        parts.append(f"timeout {s.timeout}s;")
    return " ".join(parts)


def _elements(elements: frozenset[tuple[str, str]] | set[tuple[str, str]]) -> str:
    return ", ".join(f"{k} : {v}" for k, v in sorted(elements))


def _chain_rules(t: str, name: str, chain: Chain) -> list[str]:
    return [f"add rule {FAMILY} {t} {_q(name)} {rule}" for rule in chain.rules]


def _add_chain(t: str, name: str, chain: Chain) -> str:
    hook = f" {{ {chain.hook} }}" if chain.hook else ""
    return f"add chain {FAMILY} {t} {_q(name)}{hook}"


def _add_map(t: str, name: str, m: Map) -> str:
    return f"add map {FAMILY} {t} {_q(name)} {{ type {m.type}; }}"


def render_full(table: Table, *, name: str = TABLE) -> str:
    """Replace our table (called ``name``) wholesale (first sync)."""
    t = name
    lines = [f"add table {FAMILY} {t}", f"delete table {FAMILY} {t}", f"add table {FAMILY} {t}"]
    lines += [f"add set {FAMILY} {t} {_q(n)} {{ {_set_spec(s)} }}" for n, s in sorted(table.sets.items())]
    lines += [_add_map(t, n, m) for n, m in sorted(table.maps.items())]
    # Regular chains first, so jumps and gotos from base chains and maps resolve.
    ordered = sorted(table.chains.items(), key=lambda item: (bool(item[1].hook), item[0]))
    lines += [_add_chain(t, n, c) for n, c in ordered]
    for mname, m in sorted(table.maps.items()):
        if m.elements:
            lines.append(f"add element {FAMILY} {t} {_q(mname)} {{ {_elements(m.elements)} }}")
    for cname, chain in ordered:
        lines += _chain_rules(t, cname, chain)
    return "\n".join(lines) + "\n"


def render_full_batches(table: Table, *, name: str = TABLE, rules_per_batch: int = 4000) -> list[str]:
    """The same table as :func:`render_full`, as several ``nft -f`` transactions for a large table.

    The kernel's cost for one transaction grows faster than linearly with the rules it adds (10,000
    services in one transaction took minutes; Kubernetes' nftables mode sees the same, kubernetes#139513),
    so a large first sync goes in steps: the table with its sets, maps and empty chains; the regular
    chains' rules, ``rules_per_batch`` at a time; last the base chains' rules and the map elements,
    so nothing is reachable until everything it leads to is in place. A small table is one transaction.
    """
    ordered = sorted(table.chains.items(), key=lambda item: (bool(item[1].hook), item[0]))
    total = sum(len(c.rules) for _, c in ordered)
    if total <= rules_per_batch:
        return [render_full(table, name=name)]
    t = name
    head = [f"add table {FAMILY} {t}", f"delete table {FAMILY} {t}", f"add table {FAMILY} {t}"]
    head += [f"add set {FAMILY} {t} {_q(n)} {{ {_set_spec(s)} }}" for n, s in sorted(table.sets.items())]
    head += [_add_map(t, n, m) for n, m in sorted(table.maps.items())]
    head += [_add_chain(t, n, c) for n, c in ordered]
    batches, current = ["\n".join(head) + "\n"], []
    for cname, chain in ordered:
        if chain.hook:
            continue
        current += _chain_rules(t, cname, chain)
        if len(current) >= rules_per_batch:
            batches.append("\n".join(current) + "\n")
            current = []
    for cname, chain in ordered:
        if chain.hook:
            current += _chain_rules(t, cname, chain)
    for mname, m in sorted(table.maps.items()):
        if m.elements:
            current.append(f"add element {FAMILY} {t} {_q(mname)} {{ {_elements(m.elements)} }}")
    batches.append("\n".join(current) + "\n")
    return batches


def render_diff(old: Table, new: Table, *, name: str = TABLE) -> str:
    """The commands that turn ``old`` into ``new`` in table ``name``; empty when nothing changed."""
    t = name
    lines: list[str] = []
    added_sets = sorted(set(new.sets) - set(old.sets))
    lines += [f"add set {FAMILY} {t} {_q(n)} {{ {_set_spec(new.sets[n])} }}" for n in added_sets]
    added_chains = sorted(set(new.chains) - set(old.chains))
    lines += [_add_chain(t, n, new.chains[n]) for n in added_chains]
    for item, m in sorted(new.maps.items()):
        before = old.maps.get(item, Map(m.type)).elements
        # A key whose verdict changed is deleted and re-added.
        gone = {(k, v) for k, v in before - m.elements}
        if gone:
            keys = ", ".join(sorted(k for k, _ in gone))
            lines.append(f"delete element {FAMILY} {t} {_q(item)} {{ {keys} }}")
        fresh = m.elements - before
        if fresh:
            lines.append(f"add element {FAMILY} {t} {_q(item)} {{ {_elements(fresh)} }}")
    for item in added_chains:
        lines += _chain_rules(t, item, new.chains[item])
    for item in sorted(set(new.chains) & set(old.chains)):
        if new.chains[item].rules != old.chains[item].rules:
            lines.append(f"flush chain {FAMILY} {t} {_q(item)}")
            lines += _chain_rules(t, item, new.chains[item])
    removed = sorted(set(old.chains) - set(new.chains))
    lines += [f"flush chain {FAMILY} {t} {_q(n)}" for n in removed]
    lines += [f"delete chain {FAMILY} {t} {_q(n)}" for n in removed]
    lines += [f"delete set {FAMILY} {t} {_q(n)}" for n in sorted(set(old.sets) - set(new.sets))]
    return "\n".join(lines) + "\n" if lines else ""


def delete_table(name: str = TABLE) -> str:
    return f"add table {FAMILY} {name}\ndelete table {FAMILY} {name}\n"

"""A pod's /etc/resolv.conf and /etc/hosts, as the kubelet writes them.

resolv.conf by ``dnsPolicy``: ``ClusterFirst`` (the default) points at the cluster DNS service with the
search path ``<ns>.svc.<domain> svc.<domain> <domain>`` then the host's search domains, and ``ndots:5``;
a host-network pod with ``ClusterFirst`` falls back to ``Default`` (the host's file) unless it asks for
``ClusterFirstWithHostNet``; ``None`` takes everything from ``dnsConfig``, which is otherwise merged in.
Kubernetes' limits apply: at most 3 nameservers and 32 search domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
MAX_NAMESERVERS = 3
MAX_SEARCHES = 32


@dataclass
class ResolvConf:
    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> ResolvConf:
        conf = cls()
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            if parts[0] == "nameserver" and len(parts) > 1:
                conf.nameservers.append(parts[1])
            elif parts[0] in ("search", "domain"):
                conf.searches = parts[1:]
            elif parts[0] == "options":
                conf.options += parts[1:]
        return conf

    def render(self) -> str:
        lines = [f"nameserver {ns}" for ns in self.nameservers[:MAX_NAMESERVERS]]
        if self.searches:
            lines.append("search " + " ".join(self.searches[:MAX_SEARCHES]))
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def _merge_options(base: list[str], extra: list[JsonDict]) -> list[str]:
    opts = {o.split(":", 1)[0]: o for o in base}
    for o in extra:
        name = o.get("name", "")
        opts[name] = f"{name}:{o['value']}" if o.get("value") is not None else name
    return list(opts.values())


def pod_resolv_conf(pod: JsonDict, host: ResolvConf, cluster_dns: list[str],
                    domain: str = "cluster.local") -> ResolvConf:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "ClusterFirst" and spec.get("hostNetwork"):
        policy = "Default"
    ns = meta.get("namespace", "default")
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet") and cluster_dns:
        conf = ResolvConf(
            nameservers=list(cluster_dns),
            searches=[f"{ns}.svc.{domain}", f"svc.{domain}", domain, *host.searches],
            options=["ndots:5"],
        )
    elif policy == "None":
        conf = ResolvConf()
    else:  # Default, or ClusterFirst without a cluster DNS configured
        conf = ResolvConf(list(host.nameservers), list(host.searches), list(host.options))
    dns_config = spec.get("dnsConfig") or {}
    conf.nameservers = list(dict.fromkeys([*conf.nameservers, *(dns_config.get("nameservers") or [])]))
    conf.searches = list(dict.fromkeys([*conf.searches, *(dns_config.get("searches") or [])]))
    conf.options = _merge_options(conf.options, dns_config.get("options") or [])
    return conf


def pod_hosts_file(pod: JsonDict, pod_ips: list[str], domain: str = "cluster.local") -> str:
    """The kubelet-managed /etc/hosts of a pod that is not on the host network."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    hostname = spec.get("hostname") or meta.get("name", "")
    lines = [
        "# Kubernetes-managed hosts file.",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "fe00::0\tip6-mcastprefix",
        "fe00::1\tip6-allnodes",
        "fe00::2\tip6-allrouters",
    ]
    subdomain = spec.get("subdomain")
    names = f"{hostname}.{subdomain}.{meta.get('namespace', 'default')}.svc.{domain}\t{hostname}" if subdomain \
        else hostname
    lines += [f"{ip}\t{names}" for ip in pod_ips]
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines.append("")
        lines.append("# Entries added by HostAliases.")
        lines += [f"{a.get('ip')}\t" + "\t".join(a.get("hostnames") or []) for a in aliases]
    return "\n".join(lines) + "\n"

import pytest

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.containers import PortBinding
from kubelite.runtime.network import bridge
from kubelite.runtime.network.files import hosts_text, resolv_text
from kubelite.runtime.network.ipam import AddressesExhausted, NetConf, Table, allocate
from kubelite.runtime.network.kernel import RecordingKernel
from kubelite.runtime.network.nft import Publication, replace_script, ruleset
from kubelite.runtime.network.ports import parse_publish

pytestmark = pytest.mark.unit

CONF = NetConf(bridge="kltest0", subnet="10.99.0.0/29", table="kubelite_t")


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("8080:80", PortBinding("", 8080, 80, "tcp")),
        ("127.0.0.1:8080:80", PortBinding("127.0.0.1", 8080, 80, "tcp")),
        ("53:53/udp", PortBinding("", 53, 53, "udp")),
        ("127.0.0.1::80", PortBinding("127.0.0.1", 0, 80, "tcp")),
        ("80", PortBinding("", 0, 80, "tcp")),
    ],
)
def test_parse_publish(spec: str, want: PortBinding) -> None:
    assert parse_publish(spec) == want


@pytest.mark.parametrize("bad", ["x:80", "8080:80/sctp", "70000:80", "1.2.3:80:80", "8080:0", ""])
def test_parse_publish_rejects(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_publish(bad)


def test_ipam_allocates_lowest_free_skipping_gateway_and_exhausts() -> None:
    assert CONF.gateway == "10.99.0.1"
    assert allocate(CONF, set()) == "10.99.0.2"
    assert allocate(CONF, {"10.99.0.2", "10.99.0.4"}) == "10.99.0.3"
    with pytest.raises(AddressesExhausted):
        allocate(CONF, {f"10.99.0.{i}" for i in range(2, 7)})


def test_ipam_table_claim_is_idempotent_and_release_frees(tmp_path: object) -> None:
    table = Table(str(tmp_path))
    a = table.claim(CONF, "c1")
    assert table.claim(CONF, "c1") == a
    b = table.claim(CONF, "c2")
    assert a != b
    table.release("c1")
    assert table.claim(CONF, "c3") == a


def test_ruleset_dnat_per_publication_and_nat_rules() -> None:
    text = ruleset(
        CONF,
        [
            Publication("", 8080, "tcp", "10.99.0.2", 80),
            Publication("127.0.0.1", 5353, "udp", "10.99.0.3", 53),
        ],
    )
    assert "tcp dport 8080 dnat to 10.99.0.2:80" in text
    assert "ip daddr 127.0.0.1 udp dport 5353 dnat to 10.99.0.3:53" in text
    assert 'ip saddr 10.99.0.0/29 oifname != "kltest0" masquerade' in text
    assert "type nat hook output" in text and "fib daddr type local jump publish" in text
    script = replace_script(CONF, [])
    # Only our own table is named: never a flush of the ruleset or of anyone else's table.
    assert "flush ruleset" not in script
    named = {
        line.split()[-1].rstrip("{").strip() or line.split()[-2]
        for line in script.splitlines()
        if line.startswith(("table", "delete"))
    }
    assert named == {"kubelite_t"}


def test_attach_builds_bridge_once_and_plugs_veth() -> None:
    k = RecordingKernel()
    att = bridge.attach(k, CONF, "a" * 64, "10.99.0.2")
    assert att.netns == "/run/netns/kl-aaaaaaaaaaaa" and att.host_veth == "klaaaaaaaaaa"
    assert att.mac == "02:42:0a:63:00:02"
    assert "kltest0" in k.links and k.sysctls["net.ipv4.ip_forward"] == "1"
    assert k.sysctls["net.ipv4.conf.kltest0.route_localnet"] == "1"
    assert ("ip", "kl-aaaaaaaaaaaa", "addr", "add", "10.99.0.2/29", "dev", "eth0") in k.calls
    assert ("ip", "kl-aaaaaaaaaaaa", "route", "add", "default", "via", "10.99.0.1") in k.calls
    bridge.attach(k, CONF, "b" * 64, "10.99.0.3")
    assert sum(1 for c in k.calls if c[1:5] == ("", "link", "add", "name") and c[5] == "kltest0") == 1
    bridge.detach(k, "a" * 64)
    assert "kl-aaaaaaaaaaaa" not in k.namespaces


def test_none_network_is_loopback_only() -> None:
    k = RecordingKernel()
    path = bridge.isolated(k, "c" * 64)
    assert path.endswith("kl-cccccccccccc")
    assert k.calls[-1] == ("ip", "kl-cccccccccccc", "link", "set", "lo", "up")
    assert not k.links


def test_hosts_and_resolv() -> None:
    assert "10.88.0.2\tweb" in hosts_text("web", "10.88.0.2")
    assert "127.0.0.1\tlocalhost web" in hosts_text("web", "")
    assert resolv_text("nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch x\n") == "nameserver 10.0.0.2\nsearch x\n"

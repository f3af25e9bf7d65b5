"""Refuse webhook requests to addresses inside the network (SSRF guard).

A webhook URL is chosen by a customer; without a guard it could make our worker
call internal services (metadata endpoints, admin ports on localhost). We resolve
the host, refuse any private, loopback, link-local, multicast, reserved or
unspecified address unless ``JOBS["WEBHOOKS"]["ALLOWED_NETWORKS"]`` allows it,
and return the address checked so the request connects to that address and
not to whatever a second DNS lookup might answer (DNS rebinding).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django_jobs.exceptions import PermanentFailure

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(PermanentFailure):
    """The webhook URL points at an address the SSRF guard refuses."""


def _internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_public(url: str, allowed_networks: list[str]) -> str:
    """The IP address to connect to for ``url``; raise BlockedAddress if it is internal."""
    host = urlsplit(url).hostname
    if not host:
        raise BlockedAddress(f"webhook URL has no host: {url!r}")
    port = urlsplit(url).port or (443 if url.startswith("https") else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionError(f"cannot resolve {host!r}: {exc}") from exc
    allowed = [ipaddress.ip_network(net) for net in allowed_networks]
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if _internal(address) and not any(address in net for net in allowed):
            raise BlockedAddress(
                f"{host!r} resolves to {address}, an internal address; webhooks may not call it "
                "(allow it with JOBS['WEBHOOKS']['ALLOWED_NETWORKS'])"
            )
    return str(addresses[0])

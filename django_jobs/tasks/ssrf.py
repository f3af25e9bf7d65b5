"""Refuse webhook requests to addresses inside the network (SSRF guard).

A webhook URL is chosen by a customer; without a guard it could make our worker
call internal services (metadata endpoints, admin ports on localhost). We resolve
the host, refuse any address that is not globally routable (private, loopback,
link-local, shared, reserved, unspecified) or is multicast, unless
``JOBS["WEBHOOKS"]["ALLOWED_NETWORKS"]`` allows it, and return the address
checked so the request connects to that address and not to whatever a second
DNS lookup might answer (DNS rebinding).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from django_jobs.exceptions import PermanentFailure

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(PermanentFailure):
    """The webhook URL points at an address the SSRF guard refuses."""


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port an http(s) URL names; ValueError with a sentence if it names none.

    Checked at enqueue, so a URL that can never be called (a port out of range, a host
    label over 63 characters) fails there instead of being retried for a day.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError(url)
        host.encode("idna")  # what getaddrinfo does with it
        httpx.URL(url)  # what the request does with it
    except (ValueError, httpx.InvalidURL):
        raise ValueError(
            f"endpoint_url must be an http(s) URL with a valid host and port, got: {url!r}"
        ) from None
    return host, port or (443 if parts.scheme == "https" else 80)


def _internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        not address.is_global  # also shared address space 100.64.0.0/10, where clouds put metadata
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_public(url: str, allowed_networks: list[str]) -> str:
    """The IP address to connect to for ``url``; raise BlockedAddress if it is internal."""
    try:
        host, port = host_and_port(url)
    except ValueError as exc:
        raise PermanentFailure(str(exc)) from None
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

# -*- coding: utf-8 -*-
# Copyright: iac.proxmox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The connection options every iac.proxmox module takes."""

    DOCUMENTATION = r'''
options:
  api_host:
    description:
      - Host name or address of a PVE node that serves the API.
      - A host name, an IPv4 address or an IPv6 address; not a URL, and without the port (that is O(api_port)).
      - If not set, the environment variable E(PROXMOX_HOST) is used.
      - Required, from the option or the environment.
    type: str
  api_port:
    description:
      - Port of the PVE API.
      - If not set, the environment variable E(PROXMOX_PORT) is used, else V(8006).
    type: int
    default: 8006
  api_user:
    description:
      - The PVE user to act as, with its realm, for example V(root@pam) or V(automation@pve).
      - With O(api_token_id) this is the token's owner.
      - If not set, the environment variable E(PROXMOX_USER) is used.
      - Required, from the option or the environment (unless O(api_token_id) is a full token ID).
    type: str
  api_password:
    description:
      - Password of O(api_user), used to log in for a ticket once per task.
      - If not set, the environment variable E(PROXMOX_PASSWORD) is used.
      - Ignored when O(api_token_id) is set.
    type: str
  api_token_id:
    description:
      - Name of an API token of O(api_user) (V(ci) for the token V(root@pam!ci)), or the full token ID.
      - With a token no login request is made.
      - If not set, the environment variable E(PROXMOX_TOKEN_ID) is used.
    type: str
  api_token_secret:
    description:
      - Secret of the API token named by O(api_token_id).
      - If not set, the environment variable E(PROXMOX_TOKEN_SECRET) is used.
    type: str
  validate_certs:
    description:
      - Verify the API's TLS certificate. Leave this on; to trust a cluster whose certificates come from an
        internal CA, set O(ca_path).
      - If not set, the environment variable E(PROXMOX_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) to verify the API's certificate against; only these are trusted then.
      - If not set, the environment variable E(PROXMOX_CA_PATH) is used, else the system trust store
        (OpenSSL's, which also reads E(SSL_CERT_FILE) and E(SSL_CERT_DIR)).
      - E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE) play no part.
      - A file that does not exist or holds no PEM certificate fails the task before any request is sent.
    type: path
  api_timeout:
    description:
      - Seconds to wait for an answer to one API request. Requests that can safely be repeated are retried
        with backoff when no answer comes.
    type: int
    default: 30
notes:
  - All modules of this collection are in the action group C(iac.proxmox.pve), so the connection options
    can be set once with C(module_defaults) and C(group/iac.proxmox.pve).
  - "Run the modules on the controller (C(delegate_to: localhost)) or any host with Python 3.8 or later; they
    need no Python library beyond the standard library."
'''

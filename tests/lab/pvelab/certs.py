"""The lab's own PKI: a CA, and a server certificate it signs for the lab's address.

Clients (the demo, the tests) verify the lab's TLS against the CA, exactly as they would verify a real
cluster whose certificates come from an internal CA. Nothing here turns verification off.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = 'iac.proxmox lab CA'


def _write_key(path, key):
    # Private keys are for this process only: owner read/write whatever the umask.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'wb') as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def _write_cert(path, cert):
    with open(path, 'wb') as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))


def _validity(days):
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=days)


def ensure_ca(directory):
    """The CA in directory (ca.crt, ca.key), made on first use and reused after. Returns (certfile, keyfile)."""
    certfile = os.path.join(directory, 'ca.crt')
    keyfile = os.path.join(directory, 'ca.key')
    if os.path.exists(certfile) and os.path.exists(keyfile):
        with open(certfile, 'rb') as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        if cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7):
            return certfile, keyfile
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    start, end = _validity(3650)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(keyfile, key)
    _write_cert(certfile, cert)
    return certfile, keyfile


def issue_server_cert(directory, ca, hosts, name='pvelab'):
    """A server certificate for hosts, signed by ca=(certfile, keyfile). Returns (certfile, keyfile)."""
    with open(ca[0], 'rb') as fh:
        ca_cert = x509.load_pem_x509_certificate(fh.read())
    with open(ca[1], 'rb') as fh:
        ca_key = serialization.load_pem_private_key(fh.read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    names = []
    for host in ('localhost', '127.0.0.1') + tuple(hosts):
        try:
            entry = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            entry = x509.DNSName(host)
        if entry not in names:
            names.append(entry)
    start, end = _validity(30)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    certfile = os.path.join(directory, name + '.crt')
    keyfile = os.path.join(directory, name + '.key')
    _write_key(keyfile, key)
    _write_cert(certfile, cert)
    return certfile, keyfile

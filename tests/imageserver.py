"""A small web server on loopback that serves test images, over HTTP or HTTPS, for the lab's download-url to
fetch (the standard library's http.server in a thread). Its HTTPS certificate comes from its own CA, which the
lab's nodes do not trust unless a test adds it to `pve.node_cas`."""

import http.server
import os
import ssl
import threading

from pvelab.certs import ensure_ca, issue_server_cert


class ImageServer(object):
    """Serves `files` ({'/path': bytes, or a URL to redirect to}) on 127.0.0.1; `requests` lists the paths asked
    for."""

    def __init__(self, files, tls_dir=None):
        self.files = dict(files)
        self.requests = []
        self.ca_path = None
        # Cleared: answers wait until it is set again (a download that is still running).
        self.gate = threading.Event()
        self.gate.set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                server.gate.wait(60)
                body = server.files.get(self.path)
                if isinstance(body, str):  # a redirect
                    self.send_response(302)
                    self.send_header('Location', body)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                if body is None:
                    self.send_error(404, 'Not Found')
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'application/octet-stream')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.scheme = 'http'
        if tls_dir:
            os.makedirs(tls_dir, exist_ok=True)
            ca = ensure_ca(tls_dir)
            self.ca_path = ca[0]
            certfile, keyfile = issue_server_cert(tls_dir, ca, hosts=('127.0.0.1',), name='images')
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certfile, keyfile)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = 'https'
        self.thread = threading.Thread(target=self.httpd.serve_forever, name='imageserver', daemon=True)
        self.thread.start()

    def url(self, path):
        return '{0}://127.0.0.1:{1}{2}'.format(self.scheme, self.httpd.server_address[1], path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

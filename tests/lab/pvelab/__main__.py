"""Run the lab in the foreground until interrupted.

    python tests/lab/serve.py --state-dir .lab --time-scale 0.01

Writes <state-dir>/connection.json (host, port, CA path, credentials), where the demo inventory reads
them, and prints one line `pvelab ready <url>` once it listens.
"""

import argparse
import os
import signal
import sys
import threading

from .runner import LabServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='pvelab', description=__doc__.splitlines()[0])
    parser.add_argument('--state-dir', default='.lab', help='CA, certificates, connection.json, requests.jsonl')
    parser.add_argument('--host', default='127.0.0.1', help='loopback address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0, help='port (default: a free one)')
    parser.add_argument('--time-scale', type=float, default=0.01,
                        help='real seconds per PVE second; 0 ends every task before its request returns')
    parser.add_argument('--latency-ms', type=float, default=0.0, help='real milliseconds added to every answer')
    parser.add_argument('--drop-rate', type=float, default=0.0, help='share of requests whose connection is reset')
    parser.add_argument('--hang-rate', type=float, default=0.0, help='share of requests that hang')
    parser.add_argument('--hang-secs', type=float, default=120.0, help='PVE seconds a hung request hangs')
    parser.add_argument('--seed', type=int, default=None, help='seed for the network faults')
    parser.add_argument('--offline-node', action='append', default=[], help='a node that is offline (repeatable)')
    parser.add_argument('--no-quorum', action='store_true', help='the cluster has lost quorum')
    parser.add_argument('--ticket-ttl', type=float, default=None, help='login ticket lifetime in real seconds')
    parser.add_argument('--task-secs', default='', help='extra PVE seconds per task type, e.g. qmclone=10,qmstart=3')
    parser.add_argument('--node-ca', action='append', default=[],
                        help='a CA (PEM file) the nodes trust for download-url, besides none (repeatable)')
    parser.add_argument('--request-log', default=None,
                        help='append every request as a JSON line to this file (default <state-dir>/requests.jsonl)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not (args.host == 'localhost' or args.host.startswith('127.') or args.host == '::1'):
        sys.exit('pvelab: refusing to listen on {0}: the lab binds loopback addresses only'.format(args.host))
    state = os.path.abspath(args.state_dir)
    server = LabServer(state, host=args.host, port=args.port, time_scale=args.time_scale)
    pve = server.pve
    pve.real_latency = args.latency_ms / 1000.0
    pve.request_log_path = os.path.abspath(args.request_log or os.path.join(state, 'requests.jsonl'))
    open(pve.request_log_path, 'w').close()
    pve.task_log_path = os.path.join(state, 'tasks.jsonl')
    open(pve.task_log_path, 'w').close()
    for item in filter(None, args.task_secs.split(',')):
        kind, _sep, secs = item.partition('=')
        pve.task_secs[kind] = float(secs)
    if args.drop_rate or args.hang_rate:
        pve.flaky_network(drop_rate=args.drop_rate, hang_rate=args.hang_rate, hang_secs=args.hang_secs,
                          seed=args.seed)
    for node in args.offline_node:
        pve.set_node_offline(node)
    if args.no_quorum:
        pve.lose_quorum()
    if args.ticket_ttl is not None:
        pve.ticket_ttl = args.ticket_ttl
    pve.node_cas.extend(os.path.abspath(path) for path in args.node_ca)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with server:
        server.write_connection(os.path.join(state, 'connection.json'))
        print('pvelab ready {0}'.format(pve.url), flush=True)
        stop.wait()
    return 0


if __name__ == '__main__':
    sys.exit(main())

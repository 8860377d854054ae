from test_connection import mapping_task  # noqa


def test_bad_bundle(lab, play, tmp_path):
    conn = lab.connection(); conn.pop('ca_path')
    (tmp_path / 'junk.pem').write_text('junk\n')
    for name, env in [('missing', {'REQUESTS_CA_BUNDLE': '/nonexistent/ca.pem'}), ('curl-missing', {'CURL_CA_BUNDLE': '/nonexistent/ca.pem', 'REQUESTS_CA_BUNDLE': ''}),
                      ('junk', {'REQUESTS_CA_BUNDLE': str(tmp_path / 'junk.pem')})]:
        run = play([mapping_task(description=name, **conn)], auth=None, env=env)
        r = run.task('mapping')
        print('BUNDLE', name, 'ok' if not r.get('failed') else r['msg'][:300], '| reqs', len(run.requests), 'MODFAIL', 'MODULE FAILURE' in run.stdout + run.stderr)

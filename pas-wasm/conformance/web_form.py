"""Loads examples/web-form/#demo in headless Chromium from a local server and checks that the
page validated the PHN with pas-wasm (error next to the field, summary in the live region).

python3 pas-wasm/conformance/web_form.py REPO_ROOT
"""
import functools
import http.server
import subprocess
import sys
import tempfile
import threading

root = sys.argv[1]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
handler.log_message = lambda *args: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/examples/web-form/#demo"
with tempfile.TemporaryDirectory() as profile:
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=False,
    ).stdout
server.shutdown()
checks = {
    "wasm loaded": "Checks run in your browser as you type." in dom,
    "PHN error next to the field": '<div class="error" id="phn-error">PHN check digit does not match</div>' in dom,
    "field marked invalid": 'id="phn"' in dom and 'aria-invalid="true"' in dom,
    "live summary": "1 field needs attention: phn" in dom,
}
failed = [name for name, ok in checks.items() if not ok]
for name, ok in checks.items():
    print(f"web form: {'ok' if ok else 'FAIL'} {name}")
print(f"web form: {len(checks) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)

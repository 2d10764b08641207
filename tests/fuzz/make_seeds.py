#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/ (run once; the files are kept
in the repository). Bundles are made with tarfile so hostile ones are possible;
pass LPICING=path/to/lpicing to add one made by `lpicing pack` as well."""
import gzip, hashlib, io, lzma, os, shutil, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))


# fuzz_edge_location: flag byte ('0' + 2*policy + secure), then HOST\nMETHOD\nTARGET.
edge = {
    "subdomain": "0bugs.edge.example.net\nGET\n/foo/+bug/1?x=%2F",
    "case_port_dot": "1BUGS.Edge.Example.NET.:443\nPOST\n//a/../b%2F?x",
    "absolute_query": "2beta.example.org\nGET\nhttp://beta.example.org?q",
    "absolute_other_host": "4x.api.edge.example.net\nPUT\nhttps://evil.com/x#f",
    "exempt": "6edge.example.net\nHEAD\n/.well-known/acme-challenge/tok",
    "not_edge": "0evil.com\nGET\n/",
    "lookalike": "0xedge.example.net\nGET\n/",
    "crlf": "0bugs.edge.example.net\nGET\n/a\r\nSet-Cookie: x",
    "ipv6_prod_candidate": "0[::1]:8080\nGET\n/x",
    "bad_bracket_port": "0[::1]x80\nGET\n/x",
    "asterisk": "0a_b.edge.example.net\nOPTIONS\n*",
    "bad_label": "0-bad.edge.example.net\nGET\n/x",
    "authority_form": "0edge.example.net\nCONNECT\nedge.example.net:443",
    "https_port_prod": "3qastaging.launchpad.test:8443\nDELETE\n/+login?next=%0d%0a",
}
for k, v in edge.items():
    put("fuzz_edge_location", k, v)

paths = ["/rev42/css/a.css", "/css/a.css", "/revolution.css", "/rev../x", "/rev-x/y", "/rev/x.js",
         "/revr1/js/app.js", "/revr2/app.css", "/app.css", "/a b/%2e%2e/c", "/.hidden", "//x",
         "/a/./b", "/a\\b", "/revr1/", "/revr1/../r2/app.css", "/js/app.js", "/css/a.css\x00.js",
         "/" + "a" * 255 + "/b"]
for i, p in enumerate(paths):
    put("fuzz_request_path", "path%02d" % i, p)


def sha(b):
    return hashlib.sha256(b).hexdigest()


h1 = sha(b"a")
sums = {
    "revision": "r42\n",
    "revision_no_newline": "2024.01-rc_1",
    "revision_two_lines": "r1\nr2\n",
    "sums_ok": "%s  REVISION\n%s  css/app.css\n" % (sha(b"r42\n"), h1),
    "sums_binary_mode": "%s *img/logo.png\n" % h1,
    "sums_escaped": "\\%s  a\\\\b\\nc\n" % h1,
    "sums_dotdot": "%s  ../etc/passwd\n" % h1,
    "sums_dot_slash": "%s  ./css/a.css\n" % h1,
    "sums_crlf": "%s  a.css\r\n" % h1,
    "sums_duplicate": "%s  a\n%s  a\n" % (h1, h1),
    "sums_self": "%s  SHA256SUMS\n" % h1,
    "sums_utf8": "%s  caf\u00e9/\u00e9.css\n" % h1,
    "name_overlong_utf8": b"\xc0\xafetc",
    "name_surrogate": b"\xed\xa0\x80x",
    "dir_trailing_slash": "css/",
    "dot_slash": "./",
}
for k, v in sums.items():
    put("fuzz_sums", k, v)

ae = ["br, gzip", "gzip;q=0.5, br;q=1.0", "*;q=0", "identity;q=0, *;q=0", "x-gzip", "br;q=0, gzip",
      'gzip; level="1,2"; q=0.8, br;q=0.9', "BR;Q=1", "gzip;q=1.001", "", " , ,br", "gzip;q=0.000, *",
      "br;q=0.5;q=1", "identity, br;q=0.001",
      # The oracle's corners: first mention, "*" covering identity, all refused, a comma
      # in a quoted parameter, case, a malformed first mention and empty parameters.
      "x-gzip;q=0.2, gzip, br;q=0.1", "*;q=0.5, gzip;q=0.3", "identity;q=0, br;q=0, gzip;q=0",
      'gzip;a="x,y;q=0", br;q=0.5', "GZIP;Q=0.5, Br;q=0.500, *;q=0", "br;q=1.001, br;q=0.7, gzip;q=0.70;;"]
for i, v in enumerate(ae):
    put("fuzz_accept_encoding", "ae%02d" % i, v)

Z = "0" * 64
A = sha(b"a")
B = sha(b"b")
head = "lpicing-index 1\nrevision\tr42\ndeployed\t1700000000\nsums\t%s\n" % Z
index = {
    "valid": head + "files\t2\t3\nf\tapp.js\t2\t%s\t1\nv\tbr\t1\t%s\nv\tgzip\t1\t%s\nf\tcss/a.css\t1\t%s\t-5\n" % (A, B, B, A),
    "variants_unsorted": head + "files\t1\t2\nf\tapp.js\t2\t%s\t1\nv\tgzip\t1\t%s\nv\tbr\t1\t%s\n" % (A, B, B),
    "empty": head + "files\t0\t0\n",
    "unsorted": head + "files\t2\t2\nf\tb\t1\t%s\t1\nf\ta\t1\t%s\t1\n" % (A, A),
    "dotdot": head + "files\t1\t1\nf\t../x\t1\t%s\t1\n" % A,
    "leading_zero": head.replace("1700000000", "0170") + "files\t0\t0\n",
    "min_mtime": head + "files\t1\t1\nf\ta\t1\t%s\t-9223372036854775808\n" % A,
    "truncated": head + "files\t1\t1\nf\ta\t1\t%s" % A,
}
for k, v in index.items():
    put("fuzz_index", k, v)


# fuzz_bundle: tar bundles, with as little padding as libarchive accepts.
def tar_bytes(members, compress=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for m in members:
            name, kind = m[0], m[1]
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = 0o644
            data = None
            if kind == "f":
                data = m[2]
                ti.size = len(data)
            elif kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, m[2]
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, m[2]
            elif kind == "c":
                ti.type = tarfile.CHRTYPE
            elif kind == "s":
                data = m[2]
                ti.size = len(data)
                ti.mode = 0o4755
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue().rstrip(b"\0")
    raw += b"\0" * (-len(raw) % 512) + b"\0" * 1024
    if compress == "gz":
        return gzip.compress(raw, mtime=0)
    if compress == "xz":
        return lzma.compress(raw)
    return raw


def sums_for(files):
    return "".join("%s  %s\n" % (sha(d), n) for n, d in files).encode()


rev = b"r42\n"
assets = [("css/app.css", b"body{}\n"), ("js/app.js", b"x=1\n")]
ok = [("REVISION", "f", rev), ("SHA256SUMS", "f", sums_for([("REVISION", rev)] + assets)), ("css", "d")] + \
     [(n, "f", d) for n, d in assets]
bundles = {
    "ok.tar": tar_bytes(ok),
    "ok.tar.gz": tar_bytes(ok, "gz"),
    "ok.tar.xz": tar_bytes(ok, "xz"),
    "dot_slash.tar": tar_bytes([("./", "d")] + [("./" + m[0],) + m[1:] for m in ok]),
    "symlink.tar": tar_bytes(ok + [("evil", "l", "/etc/passwd")]),
    "hardlink.tar": tar_bytes(ok + [("evil", "h", "REVISION")]),
    "dotdot.tar": tar_bytes(ok + [("../evil", "f", b"x")]),
    "absolute.tar": tar_bytes(ok + [("/tmp/evil", "f", b"x")]),
    "device.tar": tar_bytes(ok + [("dev", "c")]),
    "setuid.tar": tar_bytes(ok + [("suid", "s", b"x")]),
    "duplicate.tar": tar_bytes(ok + [("js/app.js", "f", b"y=2\n")]),
    "unlisted.tar": tar_bytes(ok + [("extra.txt", "f", b"x")]),
    "mismatch.tar": tar_bytes([m if m[0] != "js/app.js" else ("js/app.js", "f", b"x=2\n") for m in ok]),
    "file_as_dir.tar": tar_bytes(ok + [("css/app.css/x", "f", b"x")]),
    "metadata_dir.tar": tar_bytes(ok + [("REVISION/x", "f", b"x")]),
    "no_revision.tar": tar_bytes(ok[1:]),
    "bomb_ratio.tar.gz": tar_bytes(ok + [("big", "f", b"A" * (3 << 19))], "gz"),
    "bomb_bytes.tar.gz": tar_bytes(ok + [("big", "f", b"A" * (3 << 20))], "gz"),
}
bundles["with_sig.tar"] = tar_bytes(ok + [("SHA256SUMS.sig", "f", bytes(range(64)))])
if shutil.which("zstd"):
    bundles["ok.tar.zst"] = subprocess.run(["zstd", "-q", "-c"], input=tar_bytes(ok), stdout=subprocess.PIPE,
                                           check=True).stdout
for k, v in bundles.items():
    put("fuzz_bundle", k, v)

tool = os.environ.get("LPICING")
if tool:
    src = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(src, "css"))
        for n, d in assets:
            os.makedirs(os.path.dirname(os.path.join(src, n)), exist_ok=True)
            open(os.path.join(src, n), "wb").write(d)
        out = os.path.join(src, "..", "lpweb-seed-pack.tar.gz")
        subprocess.run([tool, "pack", src, "-r", "r7", "-o", out], check=True)
        put("fuzz_bundle", "packed.tar.gz", open(out, "rb").read())
        os.unlink(out)
    finally:
        shutil.rmtree(src)

# ---- combo queries, the counter table, compressor slots ----
import struct


def combo_seeds():
    # fuzz_combo_query: one byte for the member limit, then the raw query.
    queries = {
        "pair": (100, "css/a.css&css/b.css"),
        "escapes": (100, "css/small%20one.css&js/l%C3%A9.js&a+b.js"),
        "over_limit": (2, "a.js&b.js&c.js"),
        "escaped_slash": (100, "css%2Fa.css"),
        "escaped_nul": (100, "a%00.js"),
        "malformed": (100, "a.js%zz&b.js"),
        "short_escape": (100, "a.js%2"),
        "empty_member": (100, "a.js&&b.js"),
        "trailing_amp": (100, "a.js&"),
        "hidden": (100, "css/.hidden.css"),
        "dot_dot": (100, "css/../../x.css"),
        "backslash": (100, "..%5c..%5cINDEX"),
        "hundred": (255, "&".join("js/m%03d.js" % i for i in range(100))),
        "path_versioned": (100, "/+combo/rev100/"),
        "path_current": (100, "/+combo/"),
        "zero_limit": (0, "a.js"),
    }
    for k, (limit, q) in queries.items():
        put("fuzz_combo_query", k, bytes([limit]) + q.encode())

    # fuzz_counter_table: a mode byte (0 generic, 1 lpedge, 2 lpicing), then records.
    def rec(b):
        return bytes([len(b)]) + b
    fill = bytes(range(1, 17))
    put("fuzz_counter_table", "generic", bytes([0, 8, 3, 16, 1]) + rec(fill) + bytes([3]) + rec(b"/srv/a") +
        rec(b"/srv/b") + rec(b"/srv/a") + bytes([2]) + bytes([0, 1]) + struct.pack(">Q", 5) + bytes([1, 2]) +
        struct.pack(">Q", 2**64 - 1))
    put("fuzz_counter_table", "generic_short_segment", bytes([0, 8, 3, 16, 0]) + struct.pack(">H", 40) + rec(fill) +
        bytes([1]) + rec(b"k") + bytes([1, 0, 0]) + struct.pack(">Q", 1))
    put("fuzz_counter_table", "lpedge", bytes([1, 1]) + rec(b"\xff" * 8) + bytes([3]) +
        struct.pack(">H", 301) + rec(b"bugs.edge.example.net") + struct.pack(">H", 308) + rec(b"edge.example.net") +
        struct.pack(">H", 302) + rec(b"x\"\\\n\x01y"))
    put("fuzz_counter_table", "lpicing", bytes([2, 1]) + rec(b"\x00\x01\x02\x03") + bytes([2]) +
        struct.pack(">H", 10) + b"/srv/store" + struct.pack(">H", 4) + b"/tmp" + bytes([3]) +
        bytes([1]) + struct.pack(">H", 1200) + struct.pack(">Q", 512) +
        bytes([2]) + struct.pack(">H", 1404) + struct.pack(">Q", 0) +
        bytes([0]) + struct.pack(">H", 0) + struct.pack(">Q", 7) +
        rec(b"101") + bytes([1]) + rec(b"100"))

    # fuzz_compressor_slots: count, misaligned, segment bytes, clock; the segment; 4-byte operations.
    def word(pid, second):
        return struct.pack("<Q", (second << 32) | (pid & 0xffffffff))
    ops_acquire_release = bytes([0, 2, 0, 101, 0, 2, 0, 104, 0, 2, 0, 107, 4, 8, 0, 0, 1, 0, 0, 0,
                                 0, 2, 0, 110, 3, 0, 0, 40, 0, 2, 0, 113])
    put("fuzz_compressor_slots", "zeroed", bytes([4, 0, 32, 0]) + bytes(32) + ops_acquire_release)
    put("fuzz_compressor_slots", "all_ones", bytes([4, 0, 32, 0]) + b"\xff" * 32 + ops_acquire_release)
    put("fuzz_compressor_slots", "held_by_live", bytes([2, 0, 16, 0]) + word(1, 1000) + word(7, 1000) +
        ops_acquire_release)
    put("fuzz_compressor_slots", "held_by_gone", bytes([2, 0, 16, 0]) + word(3, 1000) + word(6, 999) +
        ops_acquire_release)
    put("fuzz_compressor_slots", "future_and_negative", bytes([3, 0, 24, 0]) + word(7, 5000) + word(-7, 1000) +
        word(1 << 23, 1000) + ops_acquire_release)
    put("fuzz_compressor_slots", "short_segment", bytes([8, 0, 20, 0]) + bytes(20) + ops_acquire_release)
    put("fuzz_compressor_slots", "misaligned", bytes([4, 1, 32, 0]) + bytes(32) + ops_acquire_release)
    put("fuzz_compressor_slots", "scribbles", bytes([2, 0, 16, 0]) + bytes(16) +
        bytes([0, 2, 0, 101, 2, 0, 4, 0xff, 2, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 101]))


combo_seeds()

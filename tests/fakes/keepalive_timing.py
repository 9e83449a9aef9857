#!/usr/bin/env python3
"""Times a ws-fakeserver's answers over one keep-alive connection and over a fresh connection each
(by hand, not by ctest; see README.md "Speed"). Usage:
  keepalive_timing.py PORT PATH [Header:Value ...]   (token T: start the fake with --token T)
Prints, for 200 sequential GETs each way, the total, median and mean time per request."""
import http.client, statistics, sys, time

def run(port, path, headers, keep_alive, n=200):
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        if not keep_alive:
            conn = http.client.HTTPConnection("127.0.0.1", port)
        t = time.perf_counter()
        conn.request("GET", path, headers=headers)
        res = conn.getresponse()
        res.read()
        times.append((time.perf_counter() - t) * 1000)
        if res.status != 200:
            sys.exit(f"{path}: HTTP {res.status}")
        if not keep_alive:
            conn.close()
    return times

def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    headers = {"X-Plex-Token": "T", "X-Emby-Token": "T"}
    for h in sys.argv[3:]:
        k, v = h.split(":", 1)
        headers[k] = v
    for keep in (True, False):
        t = run(port, path, headers, keep)
        print(f"{'keep-alive' if keep else 'fresh     '} {path} {' '.join(sys.argv[3:])}: {len(t)} requests in "
              f"{sum(t) / 1000:.2f} s, median {statistics.median(t):.2f} ms, mean {statistics.mean(t):.2f} ms")

if __name__ == "__main__":
    main()

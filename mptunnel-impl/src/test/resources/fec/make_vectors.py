#!/usr/bin/env python3
"""Known-answer vectors for org.mptunnel.internal.fec, computed independently of the Java code.

Nothing here shares code or tables with GaloisField / ReedSolomon: multiplication is carry-less
(shift and XOR) with reduction by x^8 + x^4 + x^3 + x^2 + 1, inversion is a^254 by repeated
multiplication, the Cauchy coefficients come from their definition, and a Gaussian elimination over
the whole generator matrix checks that every k of the k + m rows of the small codes are independent.
Symbols are taken out of the shards one at a time (the bit-plane layout described in ReedSolomon),
where the Java code never forms a symbol.

Run from this directory: python3 make_vectors.py > vectors.txt

Format of vectors.txt, one record per block, '#' starts a comment:
  codec K M LENGTH     a raw codec vector, then K lines "d HEX" (data shards) and M lines "r HEX"
                       (the expected repair shards)
  group M              a group of datagrams, then lines "p HEX" (the payloads, in order) and M lines
                       "r HEX" (the expected repair payloads: coded shards, then the count and index)
"""

POLY = 0x11D


def gf_mul(a, b):
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0x100:
            a ^= POLY
    return product


def gf_pow(a, n):
    result = 1
    for _ in range(n):
        result = gf_mul(result, a)
    return result


def gf_inv(a):
    assert a != 0
    inv = gf_pow(a, 254)
    assert gf_mul(a, inv) == 1
    return inv


def gf_div(a, b):
    return gf_mul(a, gf_inv(b))


def cauchy(i, j):
    """1 / (x_i + y_j) with x_i = 255 - i, y_j = j; addition is XOR."""
    return gf_inv((255 - i) ^ j)


def coefficient(i, j):
    """The Cauchy matrix scaled so that row 0 and column 0 are all ones."""
    column_scaled = gf_div(cauchy(i, j), cauchy(0, j))
    return gf_div(column_scaled, gf_div(cauchy(i, 0), cauchy(0, 0)))


def symbols(shard):
    """A shard of S bytes is 8 planes of S/8; bit b of symbol q is bit q % 8 of byte q // 8 of plane b."""
    plane = len(shard) // 8
    return [sum(((shard[b * plane + q // 8] >> (q % 8)) & 1) << b for b in range(8))
            for q in range(len(shard))]


def shard(symbol_list):
    plane = len(symbol_list) // 8
    out = bytearray(len(symbol_list))
    for q, value in enumerate(symbol_list):
        for b in range(8):
            out[b * plane + q // 8] |= ((value >> b) & 1) << (q % 8)
    return bytes(out)


def encode(data, m):
    assert all(len(d) % 8 == 0 and len(d) == len(data[0]) for d in data)
    data_symbols = [symbols(d) for d in data]
    repairs = []
    for i in range(m):
        out = [0] * len(data[0])
        for j, d in enumerate(data_symbols):
            c = coefficient(i, j)
            for q in range(len(out)):
                out[q] ^= gf_mul(c, d[q])
        repairs.append(shard(out))
    return repairs


def rank(rows):
    rows = [list(r) for r in rows]
    r = 0
    for col in range(len(rows[0])):
        pivot = next((x for x in range(r, len(rows)) if rows[x][col]), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        inv = gf_inv(rows[r][col])
        rows[r] = [gf_mul(v, inv) for v in rows[r]]
        for x in range(len(rows)):
            if x != r and rows[x][col]:
                f = rows[x][col]
                rows[x] = [v ^ gf_mul(f, w) for v, w in zip(rows[x], rows[r])]
        r += 1
    return r


def check_mds(k, m):
    from itertools import combinations
    generator = [[1 if a == b else 0 for b in range(k)] for a in range(k)]
    generator += [[coefficient(i, j) for j in range(k)] for i in range(m)]
    for chosen in combinations(range(k + m), k):
        assert rank([generator[x] for x in chosen]) == k, (k, m, chosen)


class Lcg:
    """Deterministic filler bytes (the vectors carry the data, so any generator will do)."""

    def __init__(self, seed):
        self.state = seed

    def bytes(self, n):
        out = bytearray()
        for _ in range(n):
            self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            out.append(self.state >> 56)
        return bytes(out)


def codec_vector(rng, k, m, length):
    data = [rng.bytes(length) for _ in range(k)]
    print(f"codec {k} {m} {length}")
    for d in data:
        print("d", d.hex())
    for r in encode(data, m):
        print("r", r.hex())


def group_vector(rng, m, lengths):
    payloads = [rng.bytes(n) for n in lengths]
    width = (2 + max(lengths) + 7) // 8 * 8
    shards = [(len(p).to_bytes(2, "big") + p).ljust(width, b"\0") for p in payloads]
    print(f"group {m}")
    for p in payloads:
        print("p", p.hex())
    for i, r in enumerate(encode(shards, m)):
        print("r", (r + bytes([len(payloads), i])).hex())


def main():
    for k, m in [(1, 1), (1, 3), (2, 2), (3, 1), (4, 2), (5, 3), (3, 4)]:
        check_mds(k, m)
    rng = Lcg(20261204)
    print("# generated by make_vectors.py; do not edit")
    for k, m, length in [(1, 1, 8), (1, 3, 8), (2, 2, 16), (3, 1, 8), (4, 2, 16), (5, 3, 72),
                         (8, 4, 200), (10, 6, 16), (32, 16, 8), (250, 6, 8), (1, 255, 8)]:
        codec_vector(rng, k, m, length)
    group_vector(rng, 2, [5, 0, 11])
    group_vector(rng, 3, [1])
    group_vector(rng, 4, [17, 3, 17, 9, 1, 0, 30, 2])
    group_vector(rng, 1, [0, 0])


if __name__ == "__main__":
    main()

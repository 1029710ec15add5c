#!/usr/bin/env python3
"""Writes random-reference.json: random strings, their GPT-2 pre-tokenizer pieces and GPT-2 ids.

The pieces come from the `regex` module running GPT-2's own pattern; the ids from a direct port of
OpenAI's gpt-2 `src/encoder.py` (bytes_to_unicode, rank-ordered merges, merge-all-occurrences per
round). Run from this folder: `python3 make_random_reference.py` (needs `pip install regex`).
"""
import json
import random

import regex

PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)


def bytes_to_unicode():
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def get_pairs(word):
    return set(zip(word, word[1:]))


class Encoder:
    def __init__(self, encoder, merges):
        self.encoder = encoder
        self.ranks = dict(zip(merges, range(len(merges))))
        self.byte_encoder = bytes_to_unicode()

    def bpe(self, token):
        word = tuple(token)
        pairs = get_pairs(word)
        if not pairs:
            return [token]
        while True:
            bigram = min(pairs, key=lambda pair: self.ranks.get(pair, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        return list(word)

    def encode(self, text):
        ids = []
        for piece in regex.findall(PATTERN, text):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids


FRAGMENTS = [
    "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "''", "don't", "it's", " 's", "'", "\u2019s",
    " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "\t\t", "\u00a0", "\u3000", "\u2028", "\u0085",
    "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\x07", "\x7f",
    "abc", "Hello", "WORLD", "x", "123", "4", "3.14", "1e9", "0x1F", "abc123", "a1b2", "\u00bd", "\u2167", "\u0663",
    "(", ")", "{", "}", "=>", "->", "!=", "//", "#", "@", "$", "...", "\"", "`",
    "\u00e9", "e\u0301", "\u0301", "\u0915\u094d\u0937", "\u65e5\u672c\u8a9e", "\ud55c\uad6d\uc5b4",
    "\u0645\u0631\u062d\u0628\u0627", "\U0001F600", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
    "\U0001F44D\U0001F3FD", "\U0001F1EF\U0001F1F5", "\u200d",
    "\ufeff", "\ufffd", "\U00010348", "\U0001D400", "<|endoftext|>", "<|", "|>",
    "func foo() -> Int {", "    return x + 1", "def f(x):", "    pass", "if (a && b) { }",
]


def random_scalar(rng):
    while True:
        kind = rng.random()
        if kind < 0.4:
            c = rng.randrange(0x20, 0x7F)
        elif kind < 0.6:
            c = rng.randrange(0x80, 0x800)
        elif kind < 0.85:
            c = rng.randrange(0x800, 0x10000)
        else:
            c = rng.randrange(0x10000, 0x110000)
        if not (0xD800 <= c < 0xE000):
            return chr(c)


def random_text(rng):
    parts = []
    for _ in range(rng.randrange(1, 12)):
        if rng.random() < 0.6:
            parts.append(rng.choice(FRAGMENTS))
        else:
            parts.append("".join(random_scalar(rng) for _ in range(rng.randrange(1, 6))))
    return "".join(parts)


def main():
    with open("encoder.json", encoding="utf-8") as f:
        encoder = json.load(f)
    with open("vocab.bpe", encoding="utf-8") as f:
        merges = [tuple(line.split()) for line in f.read().split("\n")[1:-1]]
    enc = Encoder(encoder, merges)
    rng = random.Random(20240611)
    cases = []
    for _ in range(600):
        text = random_text(rng)
        cases.append({"text": text, "pieces": regex.findall(PATTERN, text), "ids": enc.encode(text)})
    # Long single pre-tokens: these take the tokenizer's heap path (words over 48 bytes).
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    long_texts = [
        "".join(rng.choice(letters) for _ in range(rng.randrange(49, 1500))) for _ in range(6)
    ] + [
        "".join(rng.choice("etaoinshrdlu") for _ in range(700)),
        "ab" * 400,
        "=-" * 300 + "=",
        "".join(rng.choice("0123456789") for _ in range(500)),
        " " + "".join(rng.choice("\u00e9\u00e8\u00e0\u00fc\u4e00\u4e8c\u03b1\u03b2") for _ in range(300)),
        "".join(rng.choice("{}()[];:.,!?+-*/=<>") for _ in range(800)),
    ]
    for text in long_texts:
        cases.append({"text": text, "pieces": regex.findall(PATTERN, text), "ids": enc.encode(text)})
    doc = {
        "what": "random strings -> GPT-2 pre-tokenizer pieces (regex module) and ids (port of openai gpt-2 encoder.py)",
        "regex_version": regex.__version__,
        "cases": cases,
    }
    with open("random-reference.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=0)


if __name__ == "__main__":
    main()

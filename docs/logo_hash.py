#!/usr/bin/env python3
"""Reference implementation of Marque's 64-bit logo hash (see logo-hash.md).

Platforms can use this to hash listing images exactly as Marque hashes
registered logos (src/logo.rs), then compare hashes by Hamming distance:
<= 4 differing bits is a strong match, <= 10 a match.

Requires Pillow and NumPy (``pip install pillow numpy``).

Usage:
    python3 logo_hash.py IMAGE...                 # prints "<16 hex digits>  <file>"
    python3 logo_hash.py --self-test              # checks the golden values of src/logo.rs
    python3 logo_hash.py --pillow-resize IMAGE... # Pillow's own LANCZOS resize (approximate)

As a library:
    from logo_hash import logo_hash, hamming, to_hex
    h = logo_hash(open("logo.png", "rb").read())
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import sys

import numpy as np
from PIL import Image

MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 8192
MATCH_DISTANCE = 10
STRONG_MATCH_DISTANCE = 4

_F32 = np.float32
_PI = _F32(math.pi)  # Rust's f32::consts::PI


def _find_sinf():
    """Rust's f32::sin is the C library's sinf, which is not always correctly
    rounded. Use the same function where we can (glibc on Linux, as Marque's
    servers); otherwise fall back to the correctly rounded value, which can
    differ in the last bit and, very rarely, flip one hash bit."""
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        fn = libm.sinf
    except (OSError, AttributeError):
        return None, "math.sin rounded to f32"
    fn.restype = ctypes.c_float
    fn.argtypes = [ctypes.c_float]
    return fn, "C library sinf"


_SINF, SIN_SOURCE = _find_sinf()


def _sin32(a: np.float32) -> np.float32:
    if _SINF is not None:
        return _F32(_SINF(float(a)))
    return _F32(math.sin(float(a)))


# ---------------------------------------------------------------- steps 1-2

def detect_format(data: bytes) -> str | None:
    """'png', 'jpeg' or 'webp' from the magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    return None


def _open_checked(data: bytes) -> Image.Image:
    if not data:
        raise ValueError("image is empty (0 bytes)")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"image is too large: {len(data)} bytes (max {MAX_IMAGE_BYTES} bytes)")
    if detect_format(data) is None:
        raise ValueError("unsupported image format; accepted formats are PNG, JPEG and WebP")
    img = Image.open(io.BytesIO(data))  # lazy: reads the header only
    width, height = img.size
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise ValueError(f"image is {width}x{height} pixels; each side must be at most {MAX_IMAGE_SIDE} pixels")
    if width == 0 or height == 0:
        raise ValueError(f"image is {width}x{height} pixels; width and height must be at least 1")
    img.seek(0)  # first frame of an animation
    return img


# ---------------------------------------------------------------- steps 3-5

def _rgba8(img: Image.Image) -> np.ndarray:
    """Step 3: H x W x 4 uint8 array; 16-bit samples keep their high byte."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG. (Pillow's own convert() would clip, not scale.)
        v = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
        out = np.empty(v.shape + (4,), dtype=np.uint8)
        out[..., 0] = out[..., 1] = out[..., 2] = (v >> 8).astype(np.uint8)
        trns = img.info.get("transparency")
        out[..., 3] = 255 if trns is None else np.where(v == trns, 0, 255).astype(np.uint8)
        return out
    # Everything else: L, LA, RGB, RGBA, P (with or without transparency), 1, and
    # 16-bit colour PNGs, which Pillow already reads as their high bytes.
    return np.asarray(img.convert("RGBA"), dtype=np.uint8)


def grey(data: bytes) -> np.ndarray:
    """Steps 1-5: H x W uint8 grey image, flattened over white."""
    rgba = _rgba8(_open_checked(data))
    out = np.empty(rgba.shape[:2], dtype=np.uint8)
    for y0 in range(0, rgba.shape[0], 256):  # in bands, to bound memory
        band = rgba[y0:y0 + 256].astype(np.uint32)
        a = band[..., 3:4]
        # Step 4: c' = (c * A + 255 * (255 - A) + 127) // 255 for R, G, B.
        flat = (band[..., :3] * a + 255 * (255 - a) + 127) // 255
        r, g, b = flat[..., 0], flat[..., 1], flat[..., 2]
        # Step 5: BT.601 luma in Pillow's fixed point (Image.convert("L") gives the same).
        out[y0:y0 + 256] = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16
    return out


# ---------------------------------------------------------------- step 6

def _lanczos3(x: np.float32) -> np.float32:
    """image crate's lanczos3_kernel, in f32: sinc(x) * sinc(x / 3) for |x| < 3."""
    def sinc(t: np.float32) -> np.float32:
        if t == 0:
            return _F32(1.0)
        a = _F32(t * _PI)
        return _F32(_sin32(a) / a)

    if abs(x) < _F32(3.0):
        return _F32(sinc(x) * sinc(_F32(x / _F32(3.0))))
    return _F32(0.0)


def _weights(in_len: int, out_len: int, out_index: int) -> tuple[int, np.ndarray]:
    """Tap window [left, left + len(weights)) and normalised f32 weights,
    exactly as image::imageops::sample::{vertical,horizontal}_sample."""
    ratio = _F32(_F32(in_len) / _F32(out_len))
    sratio = _F32(1.0) if ratio < _F32(1.0) else ratio
    support = _F32(_F32(3.0) * sratio)
    center = _F32(_F32(_F32(out_index) + _F32(0.5)) * ratio)
    left = math.floor(float(_F32(center - support)))
    left = min(max(left, 0), in_len - 1)
    right = math.ceil(float(_F32(center + support)))
    right = min(max(right, left + 1), in_len)
    center = _F32(center - _F32(0.5))
    ws = [_lanczos3(_F32(_F32(_F32(i) - center) / sratio)) for i in range(left, right)]
    total = _F32(0.0)
    for w in ws:  # sequential f32 sum, as in Rust
        total = _F32(total + w)
    return left, np.array([_F32(w / total) for w in ws], dtype=np.float32)


def resize_9x8(g: np.ndarray) -> np.ndarray:
    """image::imageops::resize(gray, 9, 8, FilterType::Lanczos3), bit for bit."""
    h, w = g.shape
    if (w, h) == (9, 8):
        return g.copy()
    # Vertical pass: H x W -> 8 x W, f32, not rounded.
    tmp = np.zeros((8, w), dtype=np.float32)
    row = np.empty(w, dtype=np.float32)
    for y in range(8):
        left, ws = _weights(h, 8, y)
        acc = tmp[y]
        for k, wk in enumerate(ws):  # t += p * w, one tap at a time, in f32
            np.multiply(g[left + k], wk, out=row, dtype=np.float32)
            np.add(acc, row, out=acc)
    # Horizontal pass: 8 x W -> 8 x 9, then clamp to 0..255 and round half away from zero.
    out = np.empty((8, 9), dtype=np.uint8)
    for x in range(9):
        left, ws = _weights(w, 9, x)
        acc = np.zeros(8, dtype=np.float32)
        for k, wk in enumerate(ws):
            acc = acc + tmp[:, left + k] * wk
        clamped = np.clip(acc, _F32(0.0), _F32(255.0)).astype(np.float64)
        out[:, x] = np.floor(clamped + 0.5).astype(np.uint8)
    return out


# ---------------------------------------------------------------- steps 7-9

def dhash_bits(small: np.ndarray) -> int:
    """Bit (r, c) = small[r][c] < small[r][c + 1]; row-major, first bit = MSB."""
    h = 0
    for r in range(8):
        for c in range(8):
            h = (h << 1) | int(small[r, c] < small[r, c + 1])
    return h


def logo_hash(data: bytes, pillow_resize: bool = False) -> int:
    """Marque's 64-bit logo hash of an encoded PNG/JPEG/WebP image.

    With pillow_resize=True, step 6 uses Pillow's Image.resize((9, 8), LANCZOS)
    instead of the exact emulation: simpler, but only approximately equal."""
    g = grey(data)
    if pillow_resize:
        small = np.asarray(Image.fromarray(g, "L").resize((9, 8), Image.Resampling.LANCZOS))
    else:
        small = resize_9x8(g)
    return dhash_bits(small)


def to_hex(h: int) -> str:
    return f"{h:016x}"


def parse_hex(s: str) -> int:
    if len(s) != 16 or any(ch not in "0123456789abcdefABCDEF" for ch in s):
        raise ValueError(f"invalid logo hash {s[:40]!r}: expected exactly 16 hexadecimal digits")
    return int(s, 16)


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def _golden_images() -> dict[str, np.ndarray]:
    """The images of the golden tests in src/logo.rs, as RGB arrays."""
    gradient = np.repeat((np.arange(128, dtype=np.uint8) * 2)[None, :], 96, axis=0)
    y, x = np.mgrid[0:96, 0:96]
    checker = np.where((x // 8 + y // 8) % 2 == 0, 0, 255).astype(np.uint8)
    y, x = np.mgrid[0:128, 0:128]
    square = np.where((x >= 24) & (x < 72) & (y >= 32) & (y < 96), 0, 255).astype(np.uint8)
    y, x = np.mgrid[0:120, 0:160]
    emblem = np.empty((120, 160, 3), dtype=np.uint8)
    emblem[...] = (245, 240, 230)
    emblem[(x >= 110) & (x < 140) & (y >= 20) & (y < 100)] = (20, 40, 160)
    emblem[(x - 60.0) ** 2 + (y - 55.0) ** 2 < 35.0 ** 2] = (200, 30, 40)
    grey3 = lambda g: np.repeat(g[..., None], 3, axis=2)
    return {"gradient": grey3(gradient), "checkerboard": grey3(checker),
            "black_square": grey3(square), "emblem": emblem}


GOLDEN = {"gradient": 0xFFFFFFFFFFFFFFFF, "checkerboard": 0x9924899124249124,
          "black_square": 0x003C3D1D1D3D3C00, "emblem": 0x6499192929199126}


def self_test() -> bool:
    """Hashes the golden images of src/logo.rs and compares with its values."""
    ok = True
    for name, rgb in _golden_images().items():
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="PNG")
        got = logo_hash(buf.getvalue())
        good = got == GOLDEN[name]
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {name:13} {to_hex(got)} (expected {to_hex(GOLDEN[name])})")
    print(f"sin: {SIN_SOURCE}")
    return ok


def main(argv: list[str]) -> int:
    if argv == ["--self-test"]:
        return 0 if self_test() else 1
    pillow = "--pillow-resize" in argv
    paths = [a for a in argv if a != "--pillow-resize"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            with open(path, "rb") as f:
                print(f"{to_hex(logo_hash(f.read(), pillow))}  {path}")
        except (OSError, ValueError) as e:
            print(f"error: {path}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

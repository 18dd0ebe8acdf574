//! Logo images: bounded decoding, SHA-256 and a documented 64-bit perceptual hash.
//!
//! Brand owners register a logo by uploading a PNG, JPEG or WebP image. Marque
//! computes two fingerprints of the upload:
//!
//! * the SHA-256 of the uploaded bytes, exactly as received, and
//! * a 64-bit perceptual "difference hash" ([`LogoHash`]) of the pixels.
//!
//! Platforms later hash the images of their listings the same way and Marque
//! compares the two hashes by Hamming distance: at most
//! [`STRONG_MATCH_DISTANCE`] (4) differing bits is a strong match, at most
//! [`MATCH_DISTANCE`] (10) is a match.
//!
//! # The hash, step by step
//!
//! The algorithm is fixed; changing any step changes every stored hash. It is
//! also written up, with a Python reference implementation, in
//! `docs/logo-hash.md` and `docs/logo_hash.py`.
//!
//! 1. **Limits.** At most [`MAX_IMAGE_BYTES`] bytes; the format is taken from
//!    the magic bytes only (PNG, JPEG, WebP); the dimensions are read from the
//!    header and each side must be between 1 and [`MAX_IMAGE_SIDE`] pixels
//!    before any pixel is decoded; decoding may allocate at most
//!    [`MAX_DECODE_ALLOC`] bytes.
//! 2. **Decode** the first (or only) frame, in stored pixel orientation
//!    (EXIF orientation and colour profiles are ignored).
//! 3. **8-bit channels.** A 16-bit sample `v` becomes its high byte, `v >> 8`
//!    (as Pillow and libpng's `strip_16` do). Grey pixels become `R = G = B`;
//!    pixels without alpha get `A = 255`; palette and `tRNS` transparency are
//!    expanded by the PNG decoder.
//! 4. **Flatten over white.** Each of `R`, `G`, `B` becomes
//!    `(c * A + 255 * (255 - A) + 127) / 255` (integer division; this is
//!    `c * A / 255 + 255 * (1 - A / 255)` rounded to nearest). A transparent
//!    logo therefore hashes like it looks on a white page, whatever colour its
//!    invisible pixels carry.
//! 5. **Grey level** (ITU-R BT.601 luma, as Pillow's `convert("L")`):
//!    `Y = (19595 * R + 38470 * G + 7471 * B + 32768) >> 16`.
//! 6. **Resize** the grey image to **9 columns by 8 rows** with the `image`
//!    crate's Lanczos3 filter (`image::imageops::resize`, `FilterType::Lanczos3`,
//!    as called by `image_hasher`): a vertical pass then a horizontal pass, in
//!    `f32`, kernel `sinc(x) * sinc(x / 3)` for `|x| < 3`, support widened by the
//!    downscale ratio, weights normalised to sum 1, result rounded to nearest
//!    and clamped to `0..=255`. An image that is already 9x8 is used as is.
//! 7. **Compare** horizontally adjacent pixels: for row `r` in `0..8` (top to
//!    bottom) and column `c` in `0..8` (left to right), bit `(r, c)` is 1 if and
//!    only if `G[r][c] < G[r][c + 1]`, i.e. the image gets strictly brighter to
//!    the right. Equal neighbours give 0.
//! 8. **Pack** the 64 bits row-major, most significant bit first: bit `(r, c)`
//!    is bit number `63 - (8 * r + c)` of the `u64` (bit 0 is the least
//!    significant). Equivalently, byte `r` of the big-endian encoding is row `r`
//!    with column 0 in its high bit.
//! 9. **Text form**: the `u64` as 16 lowercase hexadecimal digits, zero padded
//!    (`{:016x}`); the first two digits are row 0.
//!
//! Steps 6 to 8 are computed by `image_hasher` 3 with an explicit configuration:
//! 8x8 hash size, `HashAlg::Gradient`, `FilterType::Lanczos3`,
//! `BitOrder::MsbFirst`, no DCT and no difference-of-Gaussians preprocessing.
//!
//! The resampling uses `f32::sin`, which is the C library's `sinf`; Marque's
//! values are those of glibc. Another libm can, on rare images whose resized
//! pixel lands within a rounding error of `x.5`, flip one bit.
//!
//! # Cost
//!
//! Decoding and hashing are CPU-bound: an 8192x8192 PNG takes 2 to 3 s in an
//! optimised build (much longer in a debug build), small logos a few
//! milliseconds. Async callers should run [`hash_image`] on a blocking thread
//! and bound how many run at once: one call may transiently hold up to about
//! twice [`MAX_DECODE_ALLOC`] (the PNG decoder bounds a compressed ICC profile
//! by the same limit as the pixels).

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use image::error::LimitErrorKind;
use image::{DynamicImage, GrayImage, ImageBuffer, ImageError, ImageReader, Limits, Luma, Pixel};
use image_hasher::{BitOrder, FilterType, HashAlg, HasherConfig};
use sha2::{Digest, Sha256};

/// Largest accepted upload, in bytes (4 MiB).
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;

/// Largest accepted width or height, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Most memory the decoder may allocate for one image, in bytes (320 MiB).
///
/// Enough for an 8-bit RGBA image of [`MAX_IMAGE_SIDE`] x [`MAX_IMAGE_SIDE`]
/// (256 MiB) plus the decoder's working buffers. 16-bit images of that size
/// exceed it and are refused with [`LogoError::MemoryLimit`].
pub const MAX_DECODE_ALLOC: u64 = 320 * 1024 * 1024;

/// Largest Hamming distance that still counts as a match.
pub const MATCH_DISTANCE: u32 = 10;

/// Largest Hamming distance that counts as a strong match.
pub const STRONG_MATCH_DISTANCE: u32 = 4;

/// Width of the grey image whose neighbouring pixels are compared (8 comparisons per row).
pub const HASH_GRID_WIDTH: u32 = 9;

/// Height of the grey image whose neighbouring pixels are compared (one hash byte per row).
pub const HASH_GRID_HEIGHT: u32 = 8;

/// Longest prefix of a rejected hash string quoted back in [`LogoError::InvalidHash`].
const MAX_QUOTED_HASH_CHARS: usize = 40;

/// Why a logo could not be hashed or a hash could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// The upload had no bytes at all.
    #[error("image is empty (0 bytes)")]
    Empty,
    /// The upload is larger than [`MAX_IMAGE_BYTES`].
    #[error("image is too large: {bytes} bytes (max {max} bytes)")]
    TooLarge {
        /// Size of the upload.
        bytes: usize,
        /// The limit, [`MAX_IMAGE_BYTES`].
        max: usize,
    },
    /// The content is not PNG, JPEG or WebP.
    #[error("unsupported image format ({detected}); accepted formats are PNG, JPEG and WebP")]
    UnsupportedFormat {
        /// What the content looks like, e.g. `"gif"` or `"unrecognised content"`.
        detected: String,
    },
    /// A side of the image is longer than [`MAX_IMAGE_SIDE`].
    #[error("image is {width}x{height} pixels; each side must be at most {max} pixels")]
    TooManyPixels {
        /// Width from the image header.
        width: u32,
        /// Height from the image header.
        height: u32,
        /// The limit, [`MAX_IMAGE_SIDE`].
        max: u32,
    },
    /// The image header declares a zero width or height.
    #[error("image is {width}x{height} pixels; width and height must be at least 1")]
    ZeroSize {
        /// Width from the image header.
        width: u32,
        /// Height from the image header.
        height: u32,
    },
    /// Decoding would allocate more than [`MAX_DECODE_ALLOC`] bytes.
    #[error("decoding the image would need more than {max} bytes of memory")]
    MemoryLimit {
        /// The limit, [`MAX_DECODE_ALLOC`].
        max: u64,
    },
    /// The bytes look like a supported format but are corrupt or truncated.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// A hash string is not exactly 16 hexadecimal digits. Holds the input
    /// (at most its first 40 characters).
    #[error(
        "invalid logo hash {}: expected exactly 16 hexadecimal digits",
        crate::model::quote(.0)
    )]
    InvalidHash(String),
    /// A logo whose hash is within [`MATCH_DISTANCE`] of a blank image's
    /// (`0000000000000000`) or of a smooth gradient's (`ffffffffffffffff`):
    /// it would match plain, evenly coloured or evenly shaded listing
    /// photos ([`LogoHash::registrable`]).
    #[error(
        "the logo has too little detail to register: its hash {hash} has {bits} of 64 bits \
         set; a logo needs 11 to 53, or it would match plain or evenly shaded photos"
    )]
    TooLittleDetail {
        /// The hash, as 16 hexadecimal digits.
        hash: String,
        /// Its bits set: its distance from the blank hash.
        bits: u32,
    },
}

/// A 64-bit perceptual logo hash; see the [module documentation](self) for
/// the exact algorithm and bit layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogoHash(pub u64);

impl LogoHash {
    /// The hash as 16 lowercase hexadecimal digits, zero padded.
    #[must_use]
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Parses exactly 16 hexadecimal digits, upper or lower case, with no
    /// prefix, sign or whitespace.
    ///
    /// # Errors
    ///
    /// [`LogoError::InvalidHash`] if `s` is not exactly 16 ASCII hex digits.
    pub fn parse_hex(s: &str) -> Result<Self, LogoError> {
        let invalid = || LogoError::InvalidHash(s.chars().take(MAX_QUOTED_HASH_CHARS).collect());
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        u64::from_str_radix(s, 16)
            .map(LogoHash)
            .map_err(|_| invalid())
    }

    /// The hash, if it may be registered as a logo: more than
    /// [`MATCH_DISTANCE`] bits from a blank image's hash (`0`), which every
    /// image without horizontal detail has, and from a smooth gradient's
    /// (all ones: each pixel brighter than the next, as in a photo shaded
    /// from one side to the other), so that plain listing photos never
    /// match a logo.
    ///
    /// # Errors
    ///
    /// [`LogoError::TooLittleDetail`] otherwise.
    pub fn registrable(self) -> Result<Self, LogoError> {
        let bits = self.0.count_ones();
        if bits <= MATCH_DISTANCE || bits >= 64 - MATCH_DISTANCE {
            return Err(LogoError::TooLittleDetail {
                hash: self.to_hex(),
                bits,
            });
        }
        Ok(self)
    }

    /// Number of differing bits, `0..=64`.
    #[must_use]
    pub const fn hamming(self, other: LogoHash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// How closely two logo hashes match, by Hamming distance.
    #[must_use]
    pub const fn match_strength(self, other: LogoHash) -> MatchStrength {
        MatchStrength::from_distance(self.hamming(other))
    }
}

impl fmt::Display for LogoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for LogoHash {
    type Err = LogoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_hex(s)
    }
}

/// Verdict of comparing two [`LogoHash`]es.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchStrength {
    /// Distance at most [`STRONG_MATCH_DISTANCE`].
    Strong,
    /// Distance above [`STRONG_MATCH_DISTANCE`] and at most [`MATCH_DISTANCE`].
    Match,
    /// Distance above [`MATCH_DISTANCE`].
    NoMatch,
}

impl MatchStrength {
    /// Classifies a Hamming distance.
    #[must_use]
    pub const fn from_distance(distance: u32) -> Self {
        if distance <= STRONG_MATCH_DISTANCE {
            MatchStrength::Strong
        } else if distance <= MATCH_DISTANCE {
            MatchStrength::Match
        } else {
            MatchStrength::NoMatch
        }
    }

    /// Whether this is a match at all (strong or not).
    #[must_use]
    pub const fn is_match(self) -> bool {
        !matches!(self, MatchStrength::NoMatch)
    }
}

/// Accepted image formats, detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageFormatKind {
    /// PNG: starts with `89 50 4E 47 0D 0A 1A 0A`.
    Png,
    /// JPEG: starts with `FF D8 FF`.
    Jpeg,
    /// WebP: starts with `RIFF`, four size bytes, then `WEBP`.
    WebP,
}

impl ImageFormatKind {
    /// Detects the format from the first bytes of the content (never from a
    /// file name). `None` if the content is not PNG, JPEG or WebP.
    #[must_use]
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(PNG) {
            Some(ImageFormatKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormatKind::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(ImageFormatKind::WebP)
        } else {
            None
        }
    }

    /// Lowercase name: `"png"`, `"jpeg"` or `"webp"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ImageFormatKind::Png => "png",
            ImageFormatKind::Jpeg => "jpeg",
            ImageFormatKind::WebP => "webp",
        }
    }

    /// The MIME type: `image/png`, `image/jpeg` or `image/webp`.
    #[must_use]
    pub const fn mime_type(self) -> &'static str {
        match self {
            ImageFormatKind::Png => "image/png",
            ImageFormatKind::Jpeg => "image/jpeg",
            ImageFormatKind::WebP => "image/webp",
        }
    }

    const fn to_image_format(self) -> image::ImageFormat {
        match self {
            ImageFormatKind::Png => image::ImageFormat::Png,
            ImageFormatKind::Jpeg => image::ImageFormat::Jpeg,
            ImageFormatKind::WebP => image::ImageFormat::WebP,
        }
    }
}

impl fmt::Display for ImageFormatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fingerprints of one uploaded image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashedImage {
    /// Perceptual hash of the pixels.
    pub hash: LogoHash,
    /// SHA-256 of the uploaded bytes, exactly as received.
    pub sha256: [u8; 32],
    /// Format detected from the content.
    pub format: ImageFormatKind,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl HashedImage {
    /// The SHA-256 as 64 lowercase hexadecimal digits.
    #[must_use]
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// Validates, decodes and fingerprints an uploaded logo (or listing) image.
///
/// Checks, in order: not empty, at most [`MAX_IMAGE_BYTES`] bytes, PNG/JPEG/WebP
/// by magic bytes, header dimensions between 1 and [`MAX_IMAGE_SIDE`] per side
/// (read before any pixel is decoded), then decodes with at most
/// [`MAX_DECODE_ALLOC`] bytes of allocation and hashes as described in the
/// [module documentation](self). Never panics: a panic inside a decoder is
/// caught and reported as [`LogoError::Decode`].
///
/// # Errors
///
/// [`LogoError::Empty`], [`LogoError::TooLarge`],
/// [`LogoError::UnsupportedFormat`], [`LogoError::TooManyPixels`],
/// [`LogoError::ZeroSize`], [`LogoError::MemoryLimit`] or
/// [`LogoError::Decode`], as their names say.
pub fn hash_image(bytes: &[u8]) -> Result<HashedImage, LogoError> {
    if bytes.is_empty() {
        return Err(LogoError::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(LogoError::TooLarge {
            bytes: bytes.len(),
            max: MAX_IMAGE_BYTES,
        });
    }
    let format = ImageFormatKind::detect(bytes).ok_or_else(|| LogoError::UnsupportedFormat {
        detected: describe_unsupported(bytes),
    })?;
    let sha256: [u8; 32] = Sha256::digest(bytes).into();

    // Decoders are third-party code fed hostile input: turn a panic into an error.
    let pixels = catch_unwind(AssertUnwindSafe(|| decode_and_hash(bytes, format)))
        .unwrap_or_else(|_| Err(LogoError::Decode("decoder panicked".to_owned())))?;
    let (hash, width, height) = pixels;
    Ok(HashedImage {
        hash,
        sha256,
        format,
        width,
        height,
    })
}

/// Perceptual hash of an already decoded image: steps 3 to 9 of the
/// [module documentation](self), without the size and memory limits of
/// [`hash_image`]. An image with no pixels hashes to `LogoHash(0)`.
#[must_use]
pub fn hash_decoded(image: &DynamicImage) -> LogoHash {
    hash_gray(flatten_to_gray(image))
}

fn decode_and_hash(
    bytes: &[u8],
    format: ImageFormatKind,
) -> Result<(LogoHash, u32, u32), LogoError> {
    // Pass 1: header only, so oversized images are refused with their real size.
    let mut header_limits = Limits::no_limits();
    header_limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let (width, height) = reader(bytes, format, header_limits)
        .into_dimensions()
        .map_err(|e| map_image_error(e, 0, 0))?;
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(LogoError::TooManyPixels {
            width,
            height,
            max: MAX_IMAGE_SIDE,
        });
    }
    if width == 0 || height == 0 {
        return Err(LogoError::ZeroSize { width, height });
    }

    // Pass 2: pixels, with the side and allocation limits enforced by the decoder.
    let mut limits = Limits::no_limits();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let image = reader(bytes, format, limits)
        .decode()
        .map_err(|e| map_image_error(e, width, height))?;
    if image.width() != width || image.height() != height {
        return Err(LogoError::Decode(format!(
            "decoded size {}x{} differs from header size {width}x{height}",
            image.width(),
            image.height()
        )));
    }
    let gray = flatten_to_gray(&image);
    drop(image);
    Ok((hash_gray(gray), width, height))
}

fn reader(bytes: &[u8], format: ImageFormatKind, limits: Limits) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image_format());
    reader.limits(limits);
    reader
}

fn map_image_error(err: ImageError, width: u32, height: u32) -> LogoError {
    match err {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => LogoError::TooManyPixels {
                width,
                height,
                max: MAX_IMAGE_SIDE,
            },
            _ => LogoError::MemoryLimit {
                max: MAX_DECODE_ALLOC,
            },
        },
        other => LogoError::Decode(other.to_string()),
    }
}

fn describe_unsupported(bytes: &[u8]) -> String {
    match image::guess_format(bytes) {
        Ok(format) => format.extensions_str().first().map_or_else(
            || format!("{format:?}").to_lowercase(),
            |ext| (*ext).to_owned(),
        ),
        Err(_) => "unrecognised content".to_owned(),
    }
}

/// Steps 3 to 5: 8-bit channels, flattened over white, BT.601 luma.
fn flatten_to_gray(image: &DynamicImage) -> GrayImage {
    fn same(v: u8) -> u8 {
        v
    }
    fn from16(v: u16) -> u8 {
        // The high byte, as Pillow and libpng's strip_16 do.
        v.to_be_bytes()[0]
    }
    match image {
        DynamicImage::ImageLuma8(b) => flatten(b, same),
        DynamicImage::ImageLumaA8(b) => flatten(b, same),
        DynamicImage::ImageRgb8(b) => flatten(b, same),
        DynamicImage::ImageRgba8(b) => flatten(b, same),
        DynamicImage::ImageLuma16(b) => flatten(b, from16),
        DynamicImage::ImageLumaA16(b) => flatten(b, from16),
        DynamicImage::ImageRgb16(b) => flatten(b, from16),
        DynamicImage::ImageRgba16(b) => flatten(b, from16),
        // Float images (not produced by the PNG, JPEG or WebP decoders): the
        // image crate's own 8-bit conversion.
        other => flatten(&other.to_rgba8(), same),
    }
}

fn flatten<P: Pixel>(
    buf: &ImageBuffer<P, Vec<P::Subpixel>>,
    to8: impl Fn(P::Subpixel) -> u8,
) -> GrayImage {
    let (width, height) = buf.dimensions();
    GrayImage::from_fn(width, height, |x, y| {
        let [r, g, b, a] = buf.get_pixel(x, y).to_rgba().0.map(&to8);
        Luma([luma(over_white(r, a), over_white(g, a), over_white(b, a))])
    })
}

/// `round(c * a / 255 + 255 * (255 - a) / 255)`, exactly, in integers.
fn over_white(c: u8, a: u8) -> u8 {
    let (c, a) = (u32::from(c), u32::from(a));
    let v = (c * a + 255 * (255 - a) + 127) / 255;
    u8::try_from(v).unwrap_or(u8::MAX)
}

/// ITU-R BT.601 luma with Pillow's fixed-point rounding; `luma(v, v, v) == v`.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    let y = (19595 * u32::from(r) + 38470 * u32::from(g) + 7471 * u32::from(b) + 32768) >> 16;
    u8::try_from(y).unwrap_or(u8::MAX)
}

/// Steps 6 to 8 through `image_hasher`, with every relevant option explicit.
fn hash_gray(gray: GrayImage) -> LogoHash {
    let hasher = HasherConfig::with_bytes_type::<[u8; 8]>()
        .hash_size(8, 8)
        .hash_alg(HashAlg::Gradient)
        .resize_filter(FilterType::Lanczos3)
        .bit_order(BitOrder::MsbFirst)
        .to_hasher();
    // `DynamicImage::ImageLuma8` is used by image_hasher as is (no second grey conversion).
    let hash = hasher.hash_image(&DynamicImage::ImageLuma8(gray));
    let mut bytes = [0u8; 8];
    for (dst, src) in bytes.iter_mut().zip(hash.as_bytes()) {
        *dst = *src;
    }
    LogoHash(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::codecs::webp::WebPEncoder;
    use image::imageops;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    // ---- test images -------------------------------------------------------

    fn png_bytes(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_with_encoder(PngEncoder::new(&mut out))
            .expect("png encode");
        out
    }

    fn jpeg_bytes(image: &DynamicImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
            .expect("jpeg encode");
        out
    }

    fn webp_bytes(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .to_rgba8()
            .write_with_encoder(WebPEncoder::new_lossless(&mut out))
            .expect("webp encode");
        out
    }

    /// Dark on the left, bright on the right.
    fn gradient() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(128, 96, |x, _| {
            let v = u8::try_from(x * 2).expect("fits");
            Rgb([v, v, v])
        }))
    }

    /// 8x8-pixel black and white squares, 96x96.
    fn checkerboard() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(96, 96, |x, y| {
            if (x / 8 + y / 8) % 2 == 0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        }))
    }

    /// A black square, off centre, on white: 128x128, square at x 24..72, y 32..96.
    fn black_square() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(128, 128, |x, y| {
            if (24..72).contains(&x) && (32..96).contains(&y) {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        }))
    }

    /// Something logo-like: a red disc and a blue bar on a pale background.
    fn emblem() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(160, 120, |x, y| {
            let (dx, dy) = (f64::from(x) - 60.0, f64::from(y) - 55.0);
            if dx * dx + dy * dy < 35.0 * 35.0 {
                Rgb([200, 30, 40])
            } else if (110..140).contains(&x) && (20..100).contains(&y) {
                Rgb([20, 40, 160])
            } else {
                Rgb([245, 240, 230])
            }
        }))
    }

    /// The black square drawn on a transparent canvas whose hidden colour is black.
    fn transparent_square() -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(128, 128, |x, y| {
            if (24..72).contains(&x) && (32..96).contains(&y) {
                Rgba([0, 0, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        }))
    }

    fn hash_of(image: &DynamicImage) -> LogoHash {
        hash_image(&png_bytes(image)).expect("hash").hash
    }

    /// Independent implementation of steps 6-8 (resize, compare, pack) that
    /// does not go through image_hasher, to catch a behaviour change there.
    fn reference_hash(gray: &GrayImage) -> u64 {
        let small = imageops::resize(gray, 9, 8, imageops::FilterType::Lanczos3);
        let mut h = 0u64;
        for y in 0..8 {
            for x in 0..8 {
                let bit = small.get_pixel(x, y)[0] < small.get_pixel(x + 1, y)[0];
                h = (h << 1) | u64::from(bit);
            }
        }
        h
    }

    // ---- LogoHash -------------------------------------------------------------

    #[test]
    fn hashes_near_a_blank_image_are_not_registrable() {
        assert!(matches!(
            LogoHash(0).registrable(),
            Err(LogoError::TooLittleDetail { bits: 0, .. })
        ));
        let ten = LogoHash(0x3ff);
        assert!(matches!(
            ten.registrable(),
            Err(LogoError::TooLittleDetail { bits: 10, .. })
        ));
        assert_eq!(LogoHash(0x7ff).registrable().ok(), Some(LogoHash(0x7ff)));
        let plain = DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 48, Rgb([90, 120, 30])));
        let plain = hash_image(&png_bytes(&plain)).expect("hash");
        let err = plain.hash.registrable().expect_err("a plain image");
        assert!(err.to_string().contains("too little detail"), "{err}");
    }

    #[test]
    fn hashes_near_a_smooth_gradient_are_not_registrable() {
        assert!(matches!(
            LogoHash(u64::MAX).registrable(),
            Err(LogoError::TooLittleDetail { bits: 64, .. })
        ));
        let ten_clear = LogoHash(u64::MAX << 10);
        assert!(matches!(
            ten_clear.registrable(),
            Err(LogoError::TooLittleDetail { bits: 54, .. })
        ));
        let eleven_clear = LogoHash(u64::MAX << 11);
        assert_eq!(eleven_clear.registrable().ok(), Some(eleven_clear));
        // A photo shaded evenly from one side to the other, either way.
        for image in [gradient(), gradient().fliph()] {
            let shaded = hash_image(&png_bytes(&image)).expect("hash");
            let err = shaded.hash.registrable().expect_err("a gradient");
            assert!(err.to_string().contains("evenly shaded"), "{err}");
        }
    }

    #[test]
    fn hex_round_trip_and_case() {
        let h = LogoHash(0x0123_4567_89ab_cdef);
        assert_eq!(h.to_hex(), "0123456789abcdef");
        assert_eq!(h.to_string(), "0123456789abcdef");
        assert_eq!(LogoHash(0).to_hex(), "0000000000000000");
        assert_eq!(LogoHash::parse_hex("0123456789ABCDEF"), Ok(h));
        assert_eq!(LogoHash::parse_hex("0123456789abcdef"), Ok(h));
        assert_eq!(
            "ffffffffffffffff".parse::<LogoHash>(),
            Ok(LogoHash(u64::MAX))
        );
    }

    #[test]
    fn parse_hex_rejects_everything_else() {
        for bad in [
            "",
            "123",
            "0123456789abcde",
            "0123456789abcdef0",
            "+123456789abcdef",
            "0x23456789abcdef",
            " 123456789abcdef",
            "0123456789abcdeg",
            "０123456789abcde",
        ] {
            assert!(
                matches!(LogoHash::parse_hex(bad), Err(LogoError::InvalidHash(ref s)) if s == bad),
                "{bad:?}"
            );
        }
        let long = "a".repeat(1000);
        let err = LogoHash::parse_hex(&long).expect_err("too long");
        assert_eq!(err, LogoError::InvalidHash("a".repeat(40)));
        assert!(err.to_string().starts_with("invalid logo hash \"aaaa"));
    }

    #[test]
    fn hamming_and_thresholds() {
        let a = LogoHash(0);
        assert_eq!(a.hamming(LogoHash(u64::MAX)), 64);
        assert_eq!(a.hamming(LogoHash(0b1011)), 3);
        assert_eq!(a.match_strength(LogoHash(0b1111)), MatchStrength::Strong);
        assert_eq!(a.match_strength(LogoHash(0b1_1111)), MatchStrength::Match);
        assert_eq!(a.match_strength(LogoHash(0x3ff)), MatchStrength::Match);
        assert_eq!(a.match_strength(LogoHash(0x7ff)), MatchStrength::NoMatch);
        assert!(MatchStrength::Match.is_match());
        assert!(!MatchStrength::NoMatch.is_match());
    }

    // ---- golden values ----------------------------------------------------------

    #[test]
    fn golden_hashes() {
        // Changing any of these changes every stored hash: do not "fix" them.
        assert_eq!(hash_of(&gradient()), LogoHash(0xffff_ffff_ffff_ffff));
        assert_eq!(hash_of(&checkerboard()), LogoHash(0x9924_8991_2424_9124));
        assert_eq!(hash_of(&black_square()), LogoHash(0x003c_3d1d_1d3d_3c00));
        assert_eq!(hash_of(&emblem()), LogoHash(0x6499_1929_2919_9126));
    }

    #[test]
    fn image_hasher_matches_independent_reference() {
        for image in [
            gradient(),
            checkerboard(),
            black_square(),
            emblem(),
            transparent_square(),
        ] {
            let gray = flatten_to_gray(&image);
            assert_eq!(reference_hash(&gray), hash_gray(gray).0);
        }
    }

    #[test]
    fn bit_layout_is_row_major_msb_first() {
        // Grey 9x8 image used as is (no resampling): only row 2 gets brighter
        // between columns 0 and 1, and row 7 between columns 7 and 8.
        let mut gray = GrayImage::from_pixel(9, 8, Luma([100]));
        for x in 1..9 {
            gray.put_pixel(x, 2, Luma([200]));
        }
        gray.put_pixel(8, 7, Luma([101]));
        let h = hash_gray(gray);
        assert_eq!(h, LogoHash((1 << (63 - 16)) | 1));
        assert_eq!(h.to_hex(), "0000800000000001");
        // Getting darker to the right sets no bit.
        let dark = GrayImage::from_fn(9, 8, |x, _| {
            Luma([u8::try_from(200 - 10 * x).expect("fits")])
        });
        assert_eq!(hash_gray(dark), LogoHash(0));
    }

    #[test]
    fn grey_conversion_and_alpha() {
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(0, 0, 0), 0);
        assert_eq!(luma(255, 0, 0), 76);
        assert_eq!(luma(0, 255, 0), 150);
        assert_eq!(luma(0, 0, 255), 29);
        for v in 0..=255u8 {
            assert_eq!(luma(v, v, v), v);
            assert_eq!(over_white(v, 255), v);
            assert_eq!(over_white(v, 0), 255);
        }
        assert_eq!(over_white(0, 128), 127);
        // A transparent logo hashes like it looks on white, whatever its hidden colour.
        assert_eq!(hash_of(&transparent_square()), hash_of(&black_square()));
        let gray_alpha =
            DynamicImage::ImageLumaA8(image::GrayAlphaImage::from_fn(128, 128, |x, y| {
                if (24..72).contains(&x) && (32..96).contains(&y) {
                    image::LumaA([0, 255])
                } else {
                    image::LumaA([17, 0])
                }
            }));
        assert_eq!(hash_of(&gray_alpha), hash_of(&black_square()));
    }

    #[test]
    fn sixteen_bit_samples_keep_their_high_byte() {
        // Low bytes are noise to the hash: 16-bit v hashes like 8-bit v >> 8.
        let eight = emblem().to_rgba8();
        let sixteen =
            image::ImageBuffer::<Rgba<u16>, _>::from_fn(eight.width(), eight.height(), |x, y| {
                let p = eight.get_pixel(x, y).0;
                let low = u16::try_from((x * 7 + y * 13) % 256).expect("byte");
                Rgba(p.map(|c| u16::from(c) << 8 | low))
            });
        let sixteen = DynamicImage::ImageRgba16(sixteen);
        assert_eq!(hash_of(&sixteen), hash_of(&DynamicImage::ImageRgba8(eight)));
        let gray = GrayImage::from_fn(40, 30, |x, y| {
            Luma([u8::try_from(x * 5 + y).expect("byte")])
        });
        let gray16 = image::ImageBuffer::<Luma<u16>, _>::from_fn(40, 30, |x, y| {
            Luma([u16::from(gray.get_pixel(x, y)[0]) << 8 | 0xFF])
        });
        assert_eq!(flatten_to_gray(&DynamicImage::ImageLuma16(gray16)), gray);
    }

    // ---- robustness of the hash -------------------------------------------------

    #[test]
    fn jpeg_reencoding_stays_close() {
        for image in [gradient(), checkerboard(), black_square(), emblem()] {
            let png = hash_image(&png_bytes(&image)).expect("png");
            let jpeg = hash_image(&jpeg_bytes(&image, 90)).expect("jpeg");
            assert_eq!(jpeg.format, ImageFormatKind::Jpeg);
            assert!(
                png.hash.hamming(jpeg.hash) <= STRONG_MATCH_DISTANCE,
                "{} vs {}",
                png.hash,
                jpeg.hash
            );
        }
    }

    #[test]
    fn resizing_stays_close() {
        for image in [gradient(), checkerboard(), black_square(), emblem()] {
            let h = hash_of(&image);
            for (w, hgt) in [
                (image.width() * 2, image.height() * 2),
                (image.width() / 2, image.height() / 2),
            ] {
                let resized = image.resize_exact(w, hgt, imageops::FilterType::Triangle);
                let d = h.hamming(hash_of(&resized));
                assert!(d <= STRONG_MATCH_DISTANCE, "{w}x{hgt}: distance {d}");
            }
        }
    }

    #[test]
    fn different_logos_do_not_match() {
        let hashes = [
            hash_of(&gradient()),
            hash_of(&black_square()),
            hash_of(&emblem()),
        ];
        for (i, a) in hashes.iter().enumerate() {
            for b in &hashes[i + 1..] {
                assert_eq!(a.match_strength(*b), MatchStrength::NoMatch, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn webp_lossless_hashes_like_png() {
        for image in [emblem(), transparent_square()] {
            let webp = hash_image(&webp_bytes(&image)).expect("webp");
            assert_eq!(webp.format, ImageFormatKind::WebP);
            assert_eq!(webp.hash, hash_of(&image));
        }
    }

    // ---- hash_image: metadata and limits ----------------------------------------

    #[test]
    fn reports_format_size_and_sha256() {
        let bytes = png_bytes(&emblem());
        let hashed = hash_image(&bytes).expect("hash");
        assert_eq!(hashed.format, ImageFormatKind::Png);
        assert_eq!((hashed.width, hashed.height), (160, 120));
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(hashed.sha256, expected);
        assert_eq!(hashed.sha256_hex(), hex::encode(expected));
        assert_eq!(hashed.sha256_hex().len(), 64);
        assert_eq!(ImageFormatKind::Png.mime_type(), "image/png");
        assert_eq!(ImageFormatKind::WebP.to_string(), "webp");
    }

    #[test]
    fn rejects_empty_and_oversized_uploads() {
        assert_eq!(hash_image(&[]), Err(LogoError::Empty));
        let mut big = png_bytes(&emblem());
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        let err = hash_image(&big).expect_err("too big");
        assert_eq!(
            err,
            LogoError::TooLarge {
                bytes: MAX_IMAGE_BYTES + 1,
                max: MAX_IMAGE_BYTES
            }
        );
        assert_eq!(
            err.to_string(),
            "image is too large: 4194305 bytes (max 4194304 bytes)"
        );
        // Exactly at the limit is not refused for its size (trailing bytes after IEND are ignored).
        big.truncate(MAX_IMAGE_BYTES);
        assert_eq!(hash_image(&big).map(|h| h.hash), Ok(hash_of(&emblem())));
    }

    #[test]
    fn rejects_other_formats_by_content_not_name() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let err = hash_image(&gif).expect_err("gif");
        assert_eq!(
            err,
            LogoError::UnsupportedFormat {
                detected: "gif".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            "unsupported image format (gif); accepted formats are PNG, JPEG and WebP"
        );
        let bmp = b"BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00".to_vec();
        assert!(matches!(
            hash_image(&bmp),
            Err(LogoError::UnsupportedFormat { .. })
        ));
        let text = b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec();
        assert_eq!(
            hash_image(&text),
            Err(LogoError::UnsupportedFormat {
                detected: "unrecognised content".to_owned()
            })
        );
        // A "RIFF" that is not WebP (e.g. WAV).
        assert!(matches!(
            hash_image(b"RIFF\x24\x00\x00\x00WAVEfmt "),
            Err(LogoError::UnsupportedFormat { .. })
        ));
    }

    #[test]
    fn rejects_sides_over_the_limit_before_decoding() {
        for (w, h) in [(MAX_IMAGE_SIDE + 1, 1), (1, MAX_IMAGE_SIDE + 1)] {
            let image = DynamicImage::ImageLuma8(GrayImage::new(w, h));
            for bytes in [
                png_bytes(&image),
                jpeg_bytes(&image, 90),
                webp_bytes(&image),
            ] {
                let err = hash_image(&bytes).expect_err("too wide");
                assert_eq!(
                    err,
                    LogoError::TooManyPixels {
                        width: w,
                        height: h,
                        max: MAX_IMAGE_SIDE
                    }
                );
            }
        }
        let err = LogoError::TooManyPixels {
            width: 9000,
            height: 10,
            max: 8192,
        };
        assert_eq!(
            err.to_string(),
            "image is 9000x10 pixels; each side must be at most 8192 pixels"
        );
        // The limit itself is accepted.
        let edge = DynamicImage::ImageLuma8(GrayImage::new(MAX_IMAGE_SIDE, 2));
        let hashed = hash_image(&png_bytes(&edge)).expect("at the limit");
        assert_eq!((hashed.width, hashed.height), (MAX_IMAGE_SIDE, 2));
    }

    /// Minimal PNG writer for hand-made headers: chunks with correct CRCs.
    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut crc = 0xFFFF_FFFFu32;
            for &b in bytes {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }

    fn png_header_only(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
        png_chunk(&mut out, b"IHDR", &ihdr);
        // A tiny zlib stream of a few zero bytes: far too little data.
        png_chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
        );
        png_chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn hand_made_headers() {
        // Huge declared size: refused from the header, nothing allocated.
        assert_eq!(
            hash_image(&png_header_only(100_000, 100_000, 8, 6)),
            Err(LogoError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                max: MAX_IMAGE_SIDE
            })
        );
        // Within the side limit but 16-bit RGBA 8000x8000 = 512 MB: refused by the allocation cap.
        assert_eq!(
            hash_image(&png_header_only(8000, 8000, 16, 6)),
            Err(LogoError::MemoryLimit {
                max: MAX_DECODE_ALLOC
            })
        );
        // Plausible header, truncated data: a decode error, not a panic.
        assert!(matches!(
            hash_image(&png_header_only(64, 64, 8, 2)),
            Err(LogoError::Decode(_))
        ));
        // Zero width is invalid PNG: refused one way or another.
        assert!(hash_image(&png_header_only(0, 10, 8, 0)).is_err());
    }

    #[test]
    #[ignore = "decodes 256 MiB: slow in debug builds; run with `cargo test --release -- --ignored`"]
    fn largest_allowed_image_decodes_within_the_allocation_cap() {
        // 8192x8192 RGBA PNG: a few hundred KB on the wire, 256 MiB decoded.
        // Accepted (it is within the limits) and decoded within MAX_DECODE_ALLOC.
        let image = DynamicImage::ImageRgba8(RgbaImage::from_pixel(
            MAX_IMAGE_SIDE,
            MAX_IMAGE_SIDE,
            Rgba([10, 200, 30, 128]),
        ));
        let bytes = png_bytes(&image);
        drop(image);
        assert!(bytes.len() < MAX_IMAGE_BYTES, "{}", bytes.len());
        let start = std::time::Instant::now();
        let hashed = hash_image(&bytes).expect("within limits");
        eprintln!(
            "{} byte PNG, 8192x8192 RGBA: hashed in {:?}",
            bytes.len(),
            start.elapsed()
        );
        assert_eq!(hashed.hash, LogoHash(0));
    }

    // ---- never panic ------------------------------------------------------------

    /// xorshift64*: deterministic pseudo-random bytes without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n).expect("fits")).expect("fits")
        }
    }

    #[test]
    fn corrupt_truncated_and_random_input_never_panics() {
        let samples = [
            png_bytes(&emblem()),
            png_bytes(&transparent_square()),
            jpeg_bytes(&emblem(), 90),
            webp_bytes(&emblem()),
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for sample in &samples {
            let good = hash_image(sample).expect("valid sample");
            // Every truncation point in the header region, then a spread of others.
            let cuts = (0..sample.len().min(300)).chain((300..sample.len()).step_by(97));
            for cut in cuts {
                let result = hash_image(&sample[..cut]);
                if let Ok(h) = result {
                    // Some decoders accept a truncated tail; the size must still be right.
                    assert_eq!((h.width, h.height), (good.width, good.height));
                }
            }
            // Random byte flips, keeping the magic bytes so the decoder runs.
            for _ in 0..300 {
                let mut bytes = sample.clone();
                for _ in 0..1 + rng.below(8) {
                    let i = 12 + rng.below(bytes.len() - 12);
                    bytes[i] = u8::try_from(rng.next() & 0xFF).expect("byte");
                }
                let _ = hash_image(&bytes);
            }
        }
        // Pure noise, with and without each magic prefix.
        let prefixes: [&[u8]; 4] = [
            b"",
            b"\x89PNG\r\n\x1a\n",
            b"\xFF\xD8\xFF",
            b"RIFF\x00\x01\x00\x00WEBP",
        ];
        for prefix in prefixes {
            for _ in 0..200 {
                let len = rng.below(2048);
                let mut bytes = prefix.to_vec();
                bytes.extend((0..len).map(|_| u8::try_from(rng.next() & 0xFF).expect("byte")));
                let _ = hash_image(&bytes);
            }
        }
    }

    #[test]
    fn hash_decoded_of_empty_image_is_zero() {
        assert_eq!(hash_decoded(&DynamicImage::new_luma8(0, 0)), LogoHash(0));
        let float = DynamicImage::ImageRgba32F(image::Rgba32FImage::new(4, 4));
        assert_eq!(hash_decoded(&float), LogoHash(0));
    }
}

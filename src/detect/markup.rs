//! HTML in a listing's text, read as a buyer sees it.
//!
//! Platforms keep descriptions (and now and then titles) as HTML, and a
//! buyer reads them rendered: `Aur<b></b>elle` and `Aur&#101;lle` show
//! `Aurelle`, and `compatible with&nbsp;Orvanta` shows a space where the
//! raw text has the word `nbsp`. [`render`] gives the text a buyer sees,
//! with a map back to the bytes sent, so that the scan reads the rendered
//! text and every span it reports is still a span of the original:
//! - a character reference is the character it names, as a browser reads
//!   it in text: `&amp;`, `&nbsp;`, `&#101;`, `&#x65;`, and without the `;`
//!   too where a browser reads one so (`&#101lle`, and the legacy names of
//!   WHATWG's table, `&eacute`, longest first: `&notit;` is `¬it;`); a
//!   number naming no character (0, a surrogate, past U+10FFFF) is U+FFFD,
//!   and 128 to 159 are Windows-1252's characters (`&#128;` is `€`);
//! - a tag of an HTML element (`<b>`, `</span>`, `<p class="x">`, `<br/>`,
//!   `<span title="a>b">`: a `>` inside a quoted value is the value's, and
//!   a tag is as long as it is) and a comment (`<!-- … -->`, `<!-- … --!>`,
//!   `<!-->`) draw nothing: a comment and the tag of an
//!   element that flows inside a line (`b`, `i`, `span`, `font`, `a`,
//!   `ruby`…) are removed, any other tag (`p`, `br`, `li`, `div`, `td`,
//!   `img`…) ends a word, as a line break does, and a `<wbr>`, a
//!   word-break opportunity, is U+200B ZERO WIDTH SPACE, which is one
//!   (`Genuine<wbr>Aurelle` reads as `Genuine\u{200b}Aurelle`).
//!
//! A tag of a name HTML does not know (`<Aurelle>`, `<zz>`) a browser hides
//! too, drawing its content inline, while a platform that escapes markup
//! shows it as written. Neither reading may hide a name: [`render`] reads
//! such tags as text (`<Aurelle> watch` shows `Aurelle`), and
//! [`render_every_tag`], a second reading made only for a text that has
//! them, removes them as a browser does (`Aur<zz></zz>elle` shows
//! `Aurelle`); a listing is scanned in both. The same goes for content a
//! browser does not show ([`HIDDEN`]: `script`, `style`, `template`, a
//! ruby annotation `rt`…; and an element, HTML's or a custom one
//! (`<x-y>`), whose `hidden` or `style` attribute hides it): the first
//! reading keeps it, as a platform that strips tags shows it, the second
//! removes it (`Aur<template>x</template>elle` shows `Aurelle`); but code,
//! a style sheet's or a script's, that no buyer nor search engine reads
//! is nothing in both, to its end tag ([`code_end`]:
//! `<style>.aurelle-fit{}</style>` names no brand). A style is
//! read as a browser reads its CSS ([`style_hides`]): references, escapes
//! and comments read (`display:&#110;one`, `display:\6e one`,
//! `display:/**/none`), the last valid declaration of a property winning
//! but for `!important`; it hides with `display:none`,
//! `visibility:hidden`, an `opacity` below 0.1 (or a `filter`'s
//! `opacity()`), a `scale` or a `zoom` below 0.1, a font size below 2px
//! (`font:0/0 a`), a transparent colour, a `text-indent` or an absolute
//! position's `left` or `top` off the page (-999px), or a box below 2px
//! whose overflow is hidden (`display:inline-block;width:0;overflow:hidden`;
//! a width does nothing to an inline element's text). Text in an
//! element's attributes that a buyer, a screen reader or a search engine
//! reads ([`SHOWN`]: an image's `alt`, a `title`) is a reading of its own
//! ([`Rendered::attributes_reading`]), while the tag draws nothing in the
//! text (`Strap for <a title="Shop all">Aurelle</a>` shows `for
//! Aurelle`).
//!
//! Markup that overrides the order of its text, a `<bdo dir="rtl">` or a
//! style saying `unicode-bidi:bidi-override` (or `isolate-override`) with
//! a `direction`, shows it reversed: the second reading begins and ends it
//! with the Unicode controls that do the same (U+202E RIGHT-TO-LEFT
//! OVERRIDE to U+202C POP DIRECTIONAL FORMATTING…, mapped to its tags,
//! [`Overrides`]), and is read in display order as a text with them is
//! (`<bdo dir="rtl">ellerua</bdo>` shows `aurelle`); the first reading
//! reads it as written.
//!
//! Most texts have neither `<` nor `&`; those that have them but no markup
//! are read as sent, without a copy.

use std::{borrow::Cow, collections::HashMap, ops::Range, sync::LazyLock};

/// Elements whose tags flow inside a line: removed, joining what is on
/// either side (`Aur<b>elle</b>`). Lower case, in order (searched by
/// halves).
const INLINE: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "blink", "cite", "code", "data", "del",
    "dfn", "em", "font", "i", "ins", "kbd", "mark", "math", "nobr", "q", "rb", "rp", "rt", "rtc",
    "ruby", "s", "samp", "slot", "small", "span", "strike", "strong", "sub", "sup", "svg",
    "template", "time", "tt", "u", "var", "wbr",
];

/// Other elements whose tags end a word (a line, a paragraph, a cell, an
/// image): replaced by a space. Lower case, in order.
const BREAKING: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "img",
    "label",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "picture",
    "plaintext",
    "pre",
    "section",
    "source",
    "summary",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
    "video",
    "xmp",
];

/// The longest named character reference
/// (`&CounterClockwiseContourIntegral;` is 33).
const REFERENCE_MAX: usize = 40;

/// Elements whose content a browser does not show (raw text, inert or
/// hidden by default), lower case, in order: in the reading of every tag
/// ([`render_every_tag`]) an element of these is removed whole, to its end
/// tag (`Aur<template>x</template>elle` shows `Aurelle`); the first reading
/// keeps its content, as a platform that strips tags shows it, but for
/// code ([`CODE`], [`code_end`]), nothing in either. A ruby
/// annotation (`rt`, and `rp`, the parentheses for browsers without ruby)
/// is drawn above the line or not at all, never inside it:
/// `<ruby>奥<rt>ao</rt>瑞</ruby>` reads `奥瑞` in the line.
const HIDDEN: &[&str] = &[
    "audio", "canvas", "datalist", "iframe", "noembed", "noframes", "noscript", "rp", "rt",
    "script", "style", "template", "title", "video",
];

/// The elements of [`HIDDEN`] that are ruby annotations, whose end tag may
/// be left out ([`annotation_end`]): lower case, in order.
const ANNOTATIONS: &[&str] = &["rp", "rt"];

/// Whether `name` (an element's, or a CSS keyword; in any case) is one of
/// `list` (lower case, in order).
fn is_one_of(list: &[&str], name: &[u8]) -> bool {
    list.binary_search_by(|e| e.bytes().cmp(name.iter().map(u8::to_ascii_lowercase)))
        .is_ok()
}

/// HTML's named character references (WHATWG's table, from the `entities`
/// crate) by their text, `&name;` and, for the legacy names, `&name`: what
/// each draws.
static NAMED: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    entities::ENTITIES
        .iter()
        .map(|e| (e.entity, e.characters))
        .collect()
});

/// A text as a buyer sees it, and where each of its bytes came from.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The text as rendered.
    pub text: String,
    /// For each byte of `text`, the bytes of the original that drew it.
    origin: Vec<(u32, u32)>,
    /// The original's length.
    len: usize,
    /// The values of the attributes of its elements' tags whose text a
    /// buyer or a search engine reads ([`SHOWN`]), as byte ranges of the
    /// original, in order: read apart ([`Rendered::attributes_reading`]).
    attributes: Vec<Range<usize>>,
}

impl Rendered {
    /// The text of the attributes a buyer, a screen reader or a search
    /// engine reads in `text`'s elements' tags ([`SHOWN`]: an image's
    /// `alt`, a `title`), each value words of its own, with a map back to
    /// `text` (of which this is the rendering), in the order written;
    /// `None` where there are none (most texts). A reading apart from the
    /// text's, so that a value read nowhere near where a buyer sees the tag
    /// neither splits the text (`Strap for <a title="Shop">Aurelle</a>`
    /// still shows `for Aurelle`) nor joins it.
    #[must_use]
    pub fn attributes_reading(&self, text: &str) -> Option<Rendered> {
        let (first, rest) = self.attributes.split_first()?;
        let mut reading = Rendered {
            text: String::new(),
            origin: Vec::new(),
            len: text.len(),
            attributes: Vec::new(),
        };
        push_value(&mut reading, text, first.clone());
        let mut before = first.end;
        for value in rest {
            reading.text.push(' ');
            reading.origin.push((offset(before), offset(before)));
            push_value(&mut reading, text, value.clone());
            before = value.end;
        }
        Some(reading)
    }

    /// The bytes of the original text that drew bytes `span` of
    /// [`Rendered::text`]: from the start of the first's source to the end
    /// of the last's (a character reference whole).
    #[must_use]
    pub fn original_span(&self, span: Range<usize>) -> Range<usize> {
        // Where rendered byte `at` begins in the original (its end: the
        // original's end).
        let at = |at: usize| self.origin.get(at).map_or(self.len, |o| o.0 as usize);
        if span.is_empty() {
            return at(span.start)..at(span.start);
        }
        let end = span
            .end
            .checked_sub(1)
            .and_then(|e| self.origin.get(e))
            .map_or(self.len, |o| o.1 as usize);
        at(span.start)..end
    }
}

/// What the markup at byte `at` of `text` (a `<` or a `&`) draws, and
/// where it ends.
enum Markup {
    /// Nothing: an inline element's tag, or a comment.
    Nothing(usize),
    /// Nothing, to here: an element removed whole, with its content (one
    /// a browser hides, [`HIDDEN`], or code, [`CODE`]).
    Removed(usize),
    /// What a tag draws ([`tag_draws`]): a word's end (another element's
    /// tag), or a word-break opportunity (`<wbr>`).
    Draws(&'static str, usize),
    /// A character reference: what it names.
    Text(String, usize),
    /// An element's tag with attributes whose text a buyer or a search
    /// engine reads ([`SHOWN`]: `alt`, `title`…), in the first reading:
    /// drawn as `.2` ([`tag_draws`]), its attributes (the bytes of `.0`)
    /// read apart ([`Rendered::attributes_reading`]).
    Shown(Range<usize>, usize, &'static str),
}

/// U+200B ZERO WIDTH SPACE: a word-break opportunity that draws nothing.
const ZERO_WIDTH_SPACE: &str = "\u{200b}";

/// What the start (or, `closing`, end) tag of element `name`, one of
/// [`INLINE`] (`inline`) or [`BREAKING`], draws: nothing inside a line
/// (`Aur<b>elle</b>`), a word's end (`" "`) for any other; and a `<wbr>`,
/// HTML's word-break opportunity, U+200B ZERO WIDTH SPACE, as a browser
/// breaks a line at either and draws nothing (`Genuine<wbr>Aurelle` reads
/// as `Genuine\u{200b}Aurelle`; an end tag `</wbr>` a browser ignores).
fn tag_draws(name: &[u8], closing: bool, inline: bool) -> &'static str {
    if !inline {
        " "
    } else if !closing && name.eq_ignore_ascii_case(b"wbr") {
        ZERO_WIDTH_SPACE
    } else {
        ""
    }
}

impl Markup {
    /// Where the markup ends.
    fn end(&self) -> usize {
        match self {
            Markup::Nothing(end)
            | Markup::Removed(end)
            | Markup::Draws(_, end)
            | Markup::Text(_, end)
            | Markup::Shown(_, end, _) => *end,
        }
    }
}

/// What is at a `<` or a `&` of a text ([`markup_at`]).
enum Found {
    /// Markup, and whether only the reading of every tag reads it
    /// ([`render_every_tag`]).
    Markup(Markup, bool),
    /// No markup up to this byte: a tag read as text whole (of a name HTML
    /// does not know, in the first reading), or one that never ends (a
    /// browser reads all that follows as the tag's). Either is searched
    /// once, not once from each `<` in it.
    TextUntil(usize),
}

/// The character reference at the start of `rest` (a `&`), as a browser
/// reads one in text: what it draws and its length; `None` for text.
fn reference(rest: &str) -> Option<(String, usize)> {
    let bytes = rest.as_bytes();
    if let Some(number) = rest.strip_prefix("&#") {
        let (hex, digits) = match number.strip_prefix(['x', 'X']) {
            Some(digits) => (true, digits),
            None => (false, number),
        };
        let count = digits
            .bytes()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if count == 0 {
            return None;
        }
        let radix = if hex { 16 } else { 10 };
        // Saturating: past U+10FFFF every number names no character.
        let value = digits[..count].bytes().fold(0u32, |value, b| {
            let digit = char::from(b).to_digit(radix).unwrap_or(0);
            value
                .saturating_mul(radix)
                .saturating_add(digit)
                .min(0x11_0000)
        });
        let mut len = 2 + usize::from(hex) + count;
        if bytes.get(len) == Some(&b';') {
            len += 1;
        }
        // 0, a surrogate or past U+10FFFF: the replacement character; 128
        // to 159, Windows-1252's characters (`&#128;` is `€`), as WHATWG
        // reads them.
        let drawn = match u8::try_from(value) {
            Ok(byte @ 0x80..=0x9f) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[byte])
                .0
                .into_owned(),
            _ => char::from_u32(value)
                .filter(|&c| c != '\0')
                .unwrap_or(char::REPLACEMENT_CHARACTER)
                .to_string(),
        };
        return Some((drawn, len));
    }
    // A name: the longest of the table's that the text begins with.
    let name = 1 + bytes[1..]
        .iter()
        .take(REFERENCE_MAX)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let candidate = if bytes.get(name) == Some(&b';') {
        &rest[..=name]
    } else {
        &rest[..name]
    };
    (2..=candidate.len()).rev().find_map(|len| {
        NAMED
            .get(&candidate[..len])
            .map(|drawn| (drawn.to_string(), len))
    })
}

/// Where the tag whose name ends at byte `from` of `rest` ends (its `>`),
/// as a browser reads it: a `>` inside a quoted attribute value is the
/// value's (`<span title="a>b">`). `None` without one.
fn tag_end(rest: &[u8], from: usize) -> Option<usize> {
    let mut after_equals = false;
    let mut i = from;
    while i < rest.len() {
        let b = rest[i];
        match b {
            b'>' => return Some(i),
            // A quoted value: to its closing quote; without one, the tag
            // never ends.
            b'"' | b'\'' if after_equals => {
                i += 1 + memchr::memchr(b, &rest[i + 1..])?;
                after_equals = false;
            }
            b'=' => after_equals = true,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    None
}

/// Where a comment whose text begins `comment` (after its `<!--`) ends:
/// after the first `-->` or `--!>`. Found in one pass that stops there, so
/// that a text of many comments is read once (looking for each ending
/// apart read the whole text for the one it lacks, once a comment).
fn comment_end(comment: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&comment[from..], b"--") {
        let after = from + found + 2;
        match comment.get(after..) {
            Some([b'>', ..]) => return Some(after + 1),
            Some([b'!', b'>', ..]) => return Some(after + 2),
            _ => from += found + 1,
        }
    }
    None
}

/// Where markup was found to have no end in a text being read: none after
/// it has one either, so that a text of many is searched once, not once
/// each.
struct Unclosed {
    /// A comment (`<!--`).
    comment: usize,
    /// An element of code ([`CODE`], by its place there).
    code: [usize; 2],
}

impl Default for Unclosed {
    fn default() -> Self {
        Self {
            comment: usize::MAX,
            code: [usize::MAX; 2],
        }
    }
}

/// Elements whose content is code that a browser runs and a buyer never
/// reads, nor a search engine: a style sheet and a script. Lower case, in
/// order.
const CODE: &[&str] = &["script", "style"];

/// Where the element of code ([`CODE`]) `name`, whose start tag's
/// attributes are `attributes` and whose content begins at byte `content`
/// of `text`, ends: after its end tag. Its content is read as nothing in
/// both readings (`<style>.aurelle-fit{color:#333}</style>` names no
/// brand; `Aur<style>x</style>elle` shows `Aurelle`). `None` for another
/// element, for a script of structured data that a search engine reads
/// (`<script type="application/ld+json">`, whose `brand` is one), and
/// for one without its end tag: a browser runs all that follows as its
/// code, and a platform that strips tags shows it (the first reading
/// keeps it as text, the second removes it).
fn code_end(
    text: &str,
    content: usize,
    name: &str,
    attributes: &str,
    unclosed: &mut Unclosed,
) -> Option<usize> {
    let which = CODE.iter().position(|c| name.eq_ignore_ascii_case(c))?;
    let structured_data = || {
        self::attributes(attributes.as_bytes()).any(|(a, value)| {
            a.eq_ignore_ascii_case(b"type")
                && decoded_value(&attributes[value])
                    .trim_matches(|c: char| c.is_ascii_whitespace())
                    .eq_ignore_ascii_case("application/ld+json")
        })
    };
    if content >= unclosed.code[which] || (CODE[which] == "script" && structured_data()) {
        return None;
    }
    let end = end_tag(&text[content..], CODE[which].as_bytes(), false);
    if end.is_none() {
        unclosed.code[which] = content;
    }
    end.map(|end| content + end)
}

/// The markup at byte `at` of `text` (a `<` or a `&`), if any
/// ([`Found`]). `every_tag` asks for [`render_every_tag`]'s reading.
/// `unclosed` is where markup was found to have no end ([`Unclosed`]).
fn markup_at(text: &str, at: usize, unclosed: &mut Unclosed, every_tag: bool) -> Option<Found> {
    let rest = &text[at..];
    if rest.starts_with('&') {
        let (drawn, len) = reference(rest)?;
        return Some(Found::Markup(Markup::Text(drawn, at + len), false));
    }
    if let Some(comment) = rest.strip_prefix("<!--") {
        if at >= unclosed.comment {
            return None;
        }
        // `<!-->` and `<!--->` are empty comments; a comment ends at the
        // first `-->` or `--!>`.
        let end = if comment.starts_with('>') {
            Some(1)
        } else if comment.starts_with("->") {
            Some(2)
        } else {
            comment_end(comment.as_bytes())
        };
        let Some(end) = end else {
            unclosed.comment = at;
            return None;
        };
        return Some(Found::Markup(Markup::Nothing(at + 4 + end), false));
    }
    let bytes = rest.as_bytes();
    let closing = usize::from(bytes.get(1) == Some(&b'/'));
    if bytes.get(1 + closing).is_some_and(u8::is_ascii_alphabetic) {
        let name_len = bytes[1 + closing..]
            .iter()
            .take_while(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>'))
            .count();
        let name = &rest[1 + closing..1 + closing + name_len];
        let Some(end) = tag_end(bytes, 1 + closing + name_len) else {
            return Some(Found::TextUntil(text.len()));
        };
        let after = &rest[1 + closing + name_len..end];
        // An element, written as one: its name (HTML's own, or a custom
        // element's, with a `-`), then the tag's end, a space before
        // attributes, or `/>`.
        let element = (after.is_empty() || after.starts_with([' ', '\t', '\n', '\r', '\x0c', '/']))
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if element {
            let known = |list: &[&str]| is_one_of(list, name.as_bytes());
            if closing == 0
                && let Some(close) = code_end(text, at + end + 1, name, after, unclosed)
            {
                return Some(Found::Markup(Markup::Removed(close), false));
            }
            // Content a browser does not show: a raw-text or inert element
            // (`script`, `template`…), or one its attributes hide (`<span
            // hidden>`, `style="display:none"`, `<x-y hidden>`). Removed to
            // the end tag that closes it (for the latter counting the same
            // element inside; raw text nests nothing; a ruby annotation
            // ends where its ruby does); without one, to the text's end, as
            // a browser hides all that follows.
            if every_tag && closing == 0 {
                let raw = known(HIDDEN);
                // A dialog shows only while open; an `svg` of no width or
                // height draws nothing.
                let closed_dialog = name.eq_ignore_ascii_case("dialog")
                    && !self::attributes(after.as_bytes())
                        .any(|(a, _)| a.eq_ignore_ascii_case(b"open"));
                let empty_svg = name.eq_ignore_ascii_case("svg")
                    && self::attributes(after.as_bytes()).any(|(a, value)| {
                        (a.eq_ignore_ascii_case(b"width") || a.eq_ignore_ascii_case(b"height"))
                            && length(&after.as_bytes()[value]).is_some_and(|px| px == 0.0)
                    });
                if raw || closed_dialog || empty_svg || (!known(VOID) && hides_content(after)) {
                    let content = &text[at + end + 1..];
                    let close = if known(ANNOTATIONS) {
                        annotation_end(content, name.as_bytes())
                    } else {
                        end_tag(content, name.as_bytes(), !raw)
                    };
                    let close = close.map_or(text.len(), |e| at + end + 1 + e);
                    return Some(Found::Markup(Markup::Removed(close), true));
                }
            }
            let inline = known(INLINE);
            if inline || known(BREAKING) {
                let drawn = tag_draws(name.as_bytes(), closing == 1, inline);
                // Text in its attributes (`<img alt="…">`), which the first
                // reading keeps to be read apart.
                let tag_end = at + end + 1;
                return Some(
                    if !every_tag && closing == 0 && shows_text(after.as_bytes()) {
                        let attributes = at + 1 + name_len;
                        Found::Markup(Markup::Shown(attributes..at + end, tag_end, drawn), false)
                    } else if drawn.is_empty() {
                        Found::Markup(Markup::Nothing(tag_end), false)
                    } else {
                        Found::Markup(Markup::Draws(drawn, tag_end), false)
                    },
                );
            }
        }
        // A tag of a name HTML does not know: a browser draws its content
        // inline; the first reading keeps the whole tag as text.
        return Some(if every_tag {
            Found::Markup(Markup::Nothing(at + end + 1), true)
        } else {
            Found::TextUntil(at + end + 1)
        });
    }
    // `<!…>`, `<?…>`, `</…>` not naming an element: a browser reads them as
    // comments.
    let bogus = bytes.get(1).is_some_and(|&b| b == b'!' || b == b'?') || closing == 1;
    if every_tag && bogus {
        let Some(end) = memchr::memchr(b'>', bytes) else {
            return Some(Found::TextUntil(text.len()));
        };
        return Some(Found::Markup(Markup::Nothing(at + end + 1), true));
    }
    None
}

/// Elements without content (void): lower case, in order.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// A start tag's attributes (`attributes`: its bytes between its name and
/// its `>`), as a browser reads them: each one's name and its value's
/// range in `attributes` (empty without a value; quotes not included).
fn attributes(attributes: &[u8]) -> impl Iterator<Item = (&[u8], Range<usize>)> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    let mut i = 0;
    std::iter::from_fn(move || {
        while attributes.get(i).is_some_and(|b| space(b) || *b == b'/') {
            i += 1;
        }
        if i >= attributes.len() {
            return None;
        }
        let name_end = i + attributes[i..]
            .iter()
            .take_while(|b| !space(b) && !matches!(b, b'=' | b'/'))
            .count()
            .max(1);
        let name = &attributes[i..name_end];
        i = name_end;
        while attributes.get(i).is_some_and(space) {
            i += 1;
        }
        let mut value = i..i;
        if attributes.get(i) == Some(&b'=') {
            i += 1;
            while attributes.get(i).is_some_and(space) {
                i += 1;
            }
            let (start, stop) = match attributes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let len =
                        memchr::memchr(q, &attributes[i + 1..]).unwrap_or(attributes.len() - i - 1);
                    (i + 1, i + 1 + len)
                }
                _ => (
                    i,
                    i + attributes[i..].iter().take_while(|b| !space(b)).count(),
                ),
            };
            value = start..stop;
            i = stop + 1;
        }
        Some((name, value))
    })
}

/// Whether a start tag's attributes (`attributes`, between its name and its
/// `>`) hide its content from a buyer: `hidden`, or a `style` whose CSS
/// does ([`style_hides`]; the first `style`, as a browser reads only the
/// first of an attribute).
fn hides_content(attributes: &str) -> bool {
    let mut styled = false;
    self::attributes(attributes.as_bytes()).any(|(name, value)| {
        if name.eq_ignore_ascii_case(b"hidden") {
            return true;
        }
        if !name.eq_ignore_ascii_case(b"style") || std::mem::replace(&mut styled, true) {
            return false;
        }
        style_hides(&decoded_value(&attributes[value]))
    })
}

/// A byte standing, in a style's CSS as [`css_text`] reads it, for what
/// no declaration it reads is made of (a string, an escaped digit or
/// sign): it ends no declaration and makes no word or number.
const OPAQUE: u8 = 0x01;

/// Whether a `style` attribute's value (its character references read:
/// `display:&#110;one`) hides an element's content, as a browser reads its
/// CSS ([`css_text`], [`declarations`], [`Style`]): `display:none`;
/// `visibility:hidden` or `collapse`; `content-visibility:hidden`; an
/// `opacity` below 0.1, or a `filter` drawing it so (`opacity(0)`), or a
/// `scale` (either way) or a `zoom` below 0.1 (not animated: a fade-in
/// shows; `zoom:0` a browser reads as 1); a `font-size` (or
/// `font`'s size) below 2px; a transparent text colour (`color`, or
/// `-webkit-text-fill-color` where said; not gradient text, drawn by a
/// background clipped to it); a `text-indent` at or below -999px; a
/// width and a height (or their maximums) below 2px with
/// `overflow:hidden` (or `overflow-x` and `overflow-y`); a box (a
/// `display` of [`BOXES`], `position:absolute` or `fixed`, a `float`)
/// narrower than 2px with `overflow-x` hidden, or lower with `overflow-y`
/// hidden; a positioned box
/// (`absolute`, `fixed`, `relative`) moved off the page: `left` or `top`
/// at or below -999px, `right` or `bottom` 999px or more either way, or an
/// `inset` whose sides do so.
fn style_hides(style: &str) -> bool {
    let css = css_text(style);
    let mut read = Style::default();
    for (property, value, important) in declarations(&css) {
        read.read(property, value, important);
    }
    read.hides()
}

/// A style's CSS as the declarations a browser reads in it: lower case; a
/// comment a space (`display:/**/none`; `no/**/ne` is two words); a
/// string [`OPAQUE`] (a `;` in it ends nothing); an escape the letter or
/// `-` it stands for (`\6e one`, `\none`), anything else [`OPAQUE`] (`\30`
/// is a word, not a number). Linear, one copy.
fn css_text(style: &str) -> Vec<u8> {
    let bytes = style.as_bytes();
    let mut css = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
                css.push(b' ');
            }
            // A string: to its closing quote, or a line's end, which is
            // not the string's.
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && !is_css_newline(bytes[i]) {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += usize::from(bytes.get(i) == Some(&quote));
                css.push(OPAQUE);
            }
            b'\\' => {
                let (drawn, len) = css_escape(&style[i..]);
                css.push(drawn);
                i += len;
            }
            b => {
                css.push(b.to_ascii_lowercase());
                i += 1;
            }
        }
    }
    css
}

/// Whether byte `b` ends a line in CSS.
fn is_css_newline(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | 0x0c)
}

/// The CSS escape at the start of `rest` (a `\`): the letter (lower case)
/// or `-` it stands for, else [`OPAQUE`], and its length: up to six hex
/// digits and one white space after them (`\6e one`), or any character but
/// a line's end (`\n` is `n`); a `\` before a line's end or the text's is
/// a `\` of its own.
fn css_escape(rest: &str) -> (u8, usize) {
    let bytes = rest.as_bytes();
    let letter = |c: Option<char>| match c {
        Some(c) if c.is_ascii_alphabetic() || c == '-' => c.to_ascii_lowercase() as u8,
        _ => OPAQUE,
    };
    let hex = bytes[1..]
        .iter()
        .take(6)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if hex > 0 {
        let value = u32::from_str_radix(&rest[1..=hex], 16).unwrap_or(0);
        let space = if rest[1 + hex..].starts_with("\r\n") {
            2
        } else {
            usize::from(bytes.get(1 + hex).is_some_and(u8::is_ascii_whitespace))
        };
        return (letter(char::from_u32(value)), 1 + hex + space);
    }
    match rest[1..].chars().next() {
        Some(c) if !c.is_ascii() || !is_css_newline(c as u8) => (letter(Some(c)), 1 + c.len_utf8()),
        _ => (OPAQUE, 1),
    }
}

/// A declaration of a style: its property, its value (both trimmed, `!important`
/// taken off) and whether it is `!important`.
type Declaration<'a> = (&'a [u8], &'a [u8], bool);

/// The declarations of a style's CSS ([`css_text`]), in order: split on
/// each `;` outside brackets (`url(a;b)`); one without a `:` is none.
fn declarations(css: &[u8]) -> impl Iterator<Item = Declaration<'_>> {
    let mut depth = 0usize;
    css.split(move |&b| {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        b == b';' && depth == 0
    })
    .filter_map(|declaration| {
        let colon = memchr::memchr(b':', declaration)?;
        let value = declaration[colon + 1..].trim_ascii();
        let (value, important) = match value
            .strip_suffix(b"important")
            .map(<[u8]>::trim_ascii_end)
            .and_then(|rest| rest.strip_suffix(b"!"))
        {
            Some(value) => (value.trim_ascii_end(), true),
            None => (value, false),
        };
        Some((declaration[..colon].trim_ascii(), value, important))
    })
}

/// What one property of a style says of hiding an element: whether it
/// hides, and whether it was said `!important`.
#[derive(Clone, Copy, Default)]
struct Said {
    /// Whether the property's value hides the element.
    hides: bool,
    /// Whether its declaration was `!important`.
    important: bool,
    /// Whether a valid declaration of it was read.
    said: bool,
}

impl Said {
    /// A declaration of the property: `hides`, or `None` for a value a
    /// browser drops as invalid (the earlier stays, as it does there). A
    /// later declaration wins, but for one not `!important` after one
    /// that is (`display:none!important;display:block` hides).
    fn say(&mut self, hides: Option<bool>, important: bool) {
        if let Some(hides) = hides
            && (important || !self.important)
        {
            *self = Self {
                hides,
                important,
                said: true,
            };
        }
    }
}

/// What a style's declarations say of hiding an element, property by
/// property ([`Said`]): a browser reads the last valid declaration of
/// each, so `display:none;display:block` does not hide.
#[derive(Default)]
struct Style {
    /// `display:none`.
    display: Said,
    /// `visibility:hidden` or `collapse`.
    visibility: Said,
    /// `opacity` below 0.1.
    opacity: Said,
    /// `font-size`, or `font`'s size, below 2px.
    font_size: Said,
    /// A transparent `color`.
    color: Said,
    /// `text-indent` at or below -999px.
    text_indent: Said,
    /// `width` below 2px.
    width: Said,
    /// `height` below 2px.
    height: Said,
    /// `overflow-x` hidden (or clipped), by itself or as `overflow`'s
    /// first keyword.
    overflow_x: Said,
    /// `overflow-y` hidden (or clipped), by itself or as `overflow`'s
    /// last keyword.
    overflow_y: Said,
    /// `position:absolute`, `fixed` or `relative`: offsets move the box.
    position: Said,
    /// `left` (or `inset`'s left side) at or below -999px.
    left: Said,
    /// `top` (or `inset`'s top side) at or below -999px.
    top: Said,
    /// `right` (or `inset`'s right side) 999px or more either way
    /// (`right:9999px` moves the box off the page's left edge).
    right: Said,
    /// `bottom` (or `inset`'s bottom side) 999px or more either way
    /// (above the page's top).
    bottom: Said,
    /// `max-width` below 2px.
    max_width: Said,
    /// `max-height` below 2px.
    max_height: Said,
    /// `content-visibility:hidden`.
    content_visibility: Said,
    /// A transparent `-webkit-text-fill-color`, which draws the text in
    /// place of `color` (said and not transparent: the text shows,
    /// whatever `color` says).
    fill: Said,
    /// `background-clip:text` (or `-webkit-`): the text is drawn with the
    /// background, a transparent colour letting it show (gradient text).
    clip_text: Said,
    /// An `animation` or a `transition`: an opacity (or a filter's, a
    /// scale or a zoom) that starts at 0 may not stay there (a fade-in).
    animated: Said,
    /// A box, whose width and height a browser sizes and clips: a
    /// `display` of [`BOXES`] (`block`, `inline-block`…; not `inline`, to
    /// whose text a width does nothing), or one a browser makes a block
    /// (`position:absolute` or `fixed`; a `float`).
    boxed: Said,
    /// `position:absolute` or `fixed`: the box is a block whatever its
    /// `display`.
    out_of_flow: Said,
    /// A `float`: the box is a block whatever its `display`.
    floated: Said,
    /// A `filter` whose `opacity()` draws the element below 0.1.
    filter: Said,
    /// A `scale` below 0.1 either way.
    scale: Said,
    /// A `zoom` below 0.1 (but 0, which a browser reads as 1).
    zoom: Said,
}

/// `display`'s keywords for a box, whose width and height a browser sizes
/// (one of them makes the value one, `inline flow-root` too): lower case,
/// in order. Not `inline` nor `contents`, nor a table's parts and ruby's,
/// which their content sizes.
const BOXES: &[&str] = &[
    "-moz-box",
    "-webkit-box",
    "-webkit-inline-box",
    "block",
    "flex",
    "flow-root",
    "grid",
    "inline-block",
    "inline-flex",
    "inline-grid",
    "list-item",
];

/// Values every property takes, saying nothing of hiding.
const CSS_WIDE: &[&str] = &["inherit", "initial", "revert", "revert-layer", "unset"];

/// `display`'s keywords but `none` (`inline-block`, `flex`, and those of
/// its two-word form, `block flow`): lower case, in order.
const DISPLAY: &[&str] = &[
    "-moz-box",
    "-webkit-box",
    "-webkit-inline-box",
    "block",
    "contents",
    "flex",
    "flow",
    "flow-root",
    "grid",
    "inline",
    "inline-block",
    "inline-flex",
    "inline-grid",
    "inline-table",
    "list-item",
    "math",
    "ruby",
    "ruby-base",
    "ruby-base-container",
    "ruby-text",
    "ruby-text-container",
    "run-in",
    "table",
    "table-caption",
    "table-cell",
    "table-column",
    "table-column-group",
    "table-footer-group",
    "table-header-group",
    "table-row",
    "table-row-group",
];

/// `font-size`'s keywords (none of them small enough to hide): lower
/// case, in order.
const FONT_SIZES: &[&str] = &[
    "large",
    "larger",
    "math",
    "medium",
    "small",
    "smaller",
    "x-large",
    "x-small",
    "xx-large",
    "xx-small",
    "xxx-large",
];

/// `font`'s system fonts, which set a size a buyer reads: lower case, in
/// order.
const SYSTEM_FONTS: &[&str] = &[
    "caption",
    "icon",
    "menu",
    "message-box",
    "small-caption",
    "status-bar",
];

impl Style {
    /// Reads declaration `property: value` (lower case, trimmed). A
    /// shorthand (`overflow`, `inset`) is read as its longhands, in the
    /// declarations' order (`overflow:hidden;overflow-x:visible` leaves
    /// the text a scroll away), and is dropped whole where one of its
    /// values is invalid.
    fn read(&mut self, property: &[u8], value: &[u8], important: bool) {
        let wide = is_one_of(CSS_WIDE, value);
        match property {
            b"overflow" => {
                let sides = if wide {
                    Some([false; 2])
                } else {
                    overflow_sides(value)
                };
                if let Some([x, y]) = sides {
                    self.overflow_x.say(Some(x), important);
                    self.overflow_y.say(Some(y), important);
                }
                return;
            }
            b"inset" => {
                let sides = if wide {
                    Some([false; 4])
                } else {
                    inset_sides(value)
                };
                if let Some([top, right, bottom, left]) = sides {
                    self.top.say(Some(top), important);
                    self.right.say(Some(right), important);
                    self.bottom.say(Some(bottom), important);
                    self.left.say(Some(left), important);
                }
                return;
            }
            _ => {}
        }
        let (said, hides) = match property {
            b"display" => {
                let hides = display_hides(value);
                // Dropped (invalid) for both, or said for both.
                let boxed = hides.map(|_| words(value).any(|word| is_one_of(BOXES, word)));
                self.boxed
                    .say(if wide { Some(false) } else { boxed }, important);
                (&mut self.display, hides)
            }
            b"float" => (
                &mut self.floated,
                keyword(
                    value,
                    &["inline-end", "inline-start", "left", "right"],
                    &["none"],
                ),
            ),
            b"filter" => (&mut self.filter, filter_hides(value)),
            b"scale" => (&mut self.scale, scale_hides(value)),
            b"zoom" => (&mut self.zoom, zoom_hides(value)),
            b"visibility" => (
                &mut self.visibility,
                keyword(value, &["collapse", "hidden"], &["visible"]),
            ),
            b"opacity" => (&mut self.opacity, alpha(value).map(|a| a < 0.1)),
            b"font-size" => (&mut self.font_size, font_size_hides(value)),
            b"font" => (&mut self.font_size, font_hides(value)),
            b"color" => (&mut self.color, color_hides(value)),
            b"text-indent" => (&mut self.text_indent, far(words(value).next())),
            b"width" => (&mut self.width, small(value)),
            b"height" => (&mut self.height, small(value)),
            b"overflow-x" => (&mut self.overflow_x, overflow_hides(value)),
            b"overflow-y" => (&mut self.overflow_y, overflow_hides(value)),
            b"position" => {
                let out_of_flow = keyword(
                    value,
                    &["absolute", "fixed"],
                    &["relative", "static", "sticky"],
                );
                self.out_of_flow
                    .say(if wide { Some(false) } else { out_of_flow }, important);
                (
                    &mut self.position,
                    keyword(
                        value,
                        &["absolute", "fixed", "relative"],
                        &["static", "sticky"],
                    ),
                )
            }
            b"left" => (&mut self.left, far(Some(value))),
            b"top" => (&mut self.top, far(Some(value))),
            b"right" => (&mut self.right, far_either_way(value)),
            b"bottom" => (&mut self.bottom, far_either_way(value)),
            b"max-width" => (&mut self.max_width, small(value)),
            b"max-height" => (&mut self.max_height, small(value)),
            b"content-visibility" => (
                &mut self.content_visibility,
                keyword(value, &["hidden"], &["auto", "visible"]),
            ),
            b"-webkit-text-fill-color" => (&mut self.fill, color_hides(value)),
            b"background-clip" | b"-webkit-background-clip" => (
                &mut self.clip_text,
                Some(words(value).any(|w| w == b"text")),
            ),
            b"animation" | b"animation-name" | b"transition" => {
                (&mut self.animated, Some(value != b"none"))
            }
            _ => return,
        };
        let hides = if wide { Some(false) } else { hides };
        said.say(hides, important);
    }

    /// Whether what was said hides the element's content.
    fn hides(&self) -> bool {
        // The text's colour: the fill's where one is said; shown through a
        // background clipped to it (gradient text) whatever it is.
        let text_colour = if self.fill.said {
            &self.fill
        } else {
            &self.color
        };
        let far = self.left.hides || self.top.hides || self.right.hides || self.bottom.hides;
        let overflow = self.overflow_x.hides && self.overflow_y.hides;
        // Both ways (a box's width and height do nothing to an inline
        // element's text; a small one with both shows nothing).
        let box_small = (self.width.hides || self.max_width.hides)
            && (self.height.hides || self.max_height.hides);
        // A box narrower (or lower) than 2px whose overflow that way is
        // hidden shows none of its text.
        let boxed = self.boxed.hides || self.out_of_flow.hides || self.floated.hides;
        let narrow = (self.width.hides || self.max_width.hides) && self.overflow_x.hides;
        let low = (self.height.hides || self.max_height.hides) && self.overflow_y.hides;
        // Drawn faint or small, and staying so.
        let faint = self.opacity.hides || self.filter.hides || self.scale.hides || self.zoom.hides;
        self.display.hides
            || self.visibility.hides
            || self.content_visibility.hides
            || (faint && !self.animated.hides)
            || self.font_size.hides
            || (text_colour.hides && !self.clip_text.hides)
            || self.text_indent.hides
            || (box_small && overflow)
            || (boxed && (narrow || low))
            || (self.position.hides && far)
    }
}

/// Whether a CSS `value` (lower case) is a keyword: letters and `-`.
fn is_keyword(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(|b| b.is_ascii_lowercase() || *b == b'-')
}

/// The words of a CSS value, split on white space.
fn words(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(u8::is_ascii_whitespace)
        .filter(|word| !word.is_empty())
}

/// Whether a keyword `value` hides: `Some(true)` for one of `hiding`,
/// `Some(false)` for one of `showing` (both lower case, in order), `None`
/// for any other (invalid).
fn keyword(value: &[u8], hiding: &[&str], showing: &[&str]) -> Option<bool> {
    if is_one_of(hiding, value) {
        Some(true)
    } else if is_one_of(showing, value) {
        Some(false)
    } else {
        None
    }
}

/// Whether a `display` value hides: `none`; any of [`DISPLAY`]'s (one or
/// two of them) does not; any other is invalid.
fn display_hides(value: &[u8]) -> Option<bool> {
    if value == b"none" {
        return Some(true);
    }
    let mut count = 0;
    for word in words(value) {
        count += 1;
        if count > 2 || !is_one_of(DISPLAY, word) {
            return None;
        }
    }
    (count > 0).then_some(false)
}

/// Whether an `overflow-x` or `overflow-y` keyword hides what overflows
/// (`hidden`, `clip`); `None` for an invalid one.
fn overflow_hides(value: &[u8]) -> Option<bool> {
    keyword(
        value,
        &["clip", "hidden"],
        &["auto", "overlay", "scroll", "visible"],
    )
}

/// Whether an `overflow` value hides what overflows each way, as its
/// longhands `overflow-x` and `overflow-y` ([`overflow_hides`]): one
/// keyword for both, or two, x then y; `None` for an invalid value.
fn overflow_sides(value: &[u8]) -> Option<[bool; 2]> {
    let mut words = words(value);
    let x = overflow_hides(words.next()?)?;
    let y = match words.next() {
        Some(word) => overflow_hides(word)?,
        None => x,
    };
    words.next().is_none().then_some([x, y])
}

/// Whether a `font-size` value is below 2px ([`length`]; a keyword is
/// not); `None` for an invalid one (a negative size, `calc()`).
fn font_size_hides(value: &[u8]) -> Option<bool> {
    if is_one_of(FONT_SIZES, value) {
        return Some(false);
    }
    length(value).filter(|px| *px >= 0.0).map(|px| px < 2.0)
}

/// Whether a `font` value's size is below 2px: the first word that is a
/// size (`font:0/0 a`, `font:italic 0px serif`), with a family after it; a
/// system font (`caption`) does not hide; `None` for an invalid value.
fn font_hides(value: &[u8]) -> Option<bool> {
    if is_one_of(SYSTEM_FONTS, value) {
        return Some(false);
    }
    let mut words = words(value);
    let size = words.find_map(|word| {
        let size = word.split(|&b| b == b'/').next().unwrap_or_default();
        font_size_hides(size)
    })?;
    words.next().map(|_| size)
}

/// Whether a `color` value is transparent: `transparent`, or an alpha
/// below 0.1 (`#0000`, `#00000010`, `rgba(0,0,0,0)`, `rgb(0 0 0 / 5%)`);
/// another colour (a name, `#333`, `rgb(…)`) is not; `None` for what is
/// no colour.
fn color_hides(value: &[u8]) -> Option<bool> {
    if value == b"transparent" {
        return Some(true);
    }
    if let Some(hex) = value.strip_prefix(b"#") {
        let digit = |at: usize| char::from(hex[at]).to_digit(16);
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        return match hex.len() {
            3 | 6 => Some(false),
            4 => Some(digit(3)? * 17 < 26),
            8 => Some(digit(6)? * 16 + digit(7)? < 26),
            _ => None,
        };
    }
    if let Some(open) = memchr::memchr(b'(', value) {
        let arguments = value[open + 1..].strip_suffix(b")")?;
        let alpha_at = memchr::memchr(b'/', arguments)
            .map(|slash| slash + 1)
            .or_else(|| {
                let mut commas = memchr::memchr_iter(b',', arguments);
                commas.nth(2).map(|comma| comma + 1)
            });
        return Some(
            alpha_at
                .and_then(|at| alpha(arguments[at..].trim_ascii()))
                .is_some_and(|a| a < 0.1),
        );
    }
    value
        .iter()
        .all(|b| b.is_ascii_lowercase() || *b == b'-')
        .then_some(false)
}

/// An alpha value (`opacity`'s), or a factor (`scale`'s, `zoom`'s): a
/// number, or a percentage (`5%` is 0.05); `None` for what is neither.
fn alpha(value: &[u8]) -> Option<f64> {
    match number(value)? {
        (alpha, b"") => Some(alpha),
        (percent, b"%") => Some(percent / 100.0),
        _ => None,
    }
}

/// Whether a `filter` value draws the element below an opacity of 0.1:
/// its `opacity()` functions (a number or a percentage, above 1 read as
/// 1, none as 1; several multiply), whatever else it applies (`blur()`,
/// `drop-shadow(…)`); `none` does not; `None` for what is no list of
/// functions, or an invalid opacity.
fn filter_hides(value: &[u8]) -> Option<bool> {
    if value == b"none" {
        return Some(false);
    }
    let mut drawn = 1.0;
    let mut rest = value.trim_ascii();
    while !rest.is_empty() {
        let open = memchr::memchr(b'(', rest)?;
        let name = &rest[..open];
        if !is_keyword(name) {
            return None;
        }
        // To the closing bracket, counting those inside
        // (`drop-shadow(0 0 rgb(0 0 0))`).
        let mut depth = 0usize;
        let close = rest[open..].iter().position(|&b| {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            depth == 0
        })? + open;
        let argument = rest[open + 1..close].trim_ascii();
        if name == b"opacity" && !argument.is_empty() {
            drawn *= alpha(argument).filter(|a| *a >= 0.0)?.min(1.0);
        }
        rest = rest[close + 1..].trim_ascii_start();
    }
    Some(drawn < 0.1)
}

/// Whether a `scale` value draws the element below 0.1 of its size
/// either way (`scale:0`, `scale:1 0`, `0%`): one to three factors, x,
/// y (x's where not said) and z; `none` does not; `None` for an invalid
/// value.
fn scale_hides(value: &[u8]) -> Option<bool> {
    if value == b"none" {
        return Some(false);
    }
    let factors: Vec<f64> = words(value).map(alpha).collect::<Option<_>>()?;
    let (x, y) = match *factors.as_slice() {
        [x] => (x, x),
        [x, y] | [x, y, _] => (x, y),
        _ => return None,
    };
    Some(x.abs() < 0.1 || y.abs() < 0.1)
}

/// Whether a `zoom` value draws the element below 0.1 of its size
/// (`zoom:0.01`, `zoom:1%`): a factor, 0 read as 1 as a browser reads it;
/// `normal` and `reset` do not; `None` for an invalid value (a negative
/// one).
fn zoom_hides(value: &[u8]) -> Option<bool> {
    if value == b"normal" || value == b"reset" {
        return Some(false);
    }
    alpha(value)
        .filter(|z| *z >= 0.0)
        .map(|z| z != 0.0 && z < 0.1)
}

/// Whether a `width` or `height` is below 2px (a keyword, `auto`, is
/// not); `None` for an invalid one.
fn small(value: &[u8]) -> Option<bool> {
    // A keyword, or a share of a container not known here (`10%`).
    if is_keyword(value) || value.ends_with(b"%") {
        return Some(false);
    }
    length(value).filter(|px| *px >= 0.0).map(|px| px < 2.0)
}

/// Whether an offset (`left`, `top`, `text-indent`) is at or below
/// -999px, off the page (a keyword, `auto`, is not); `None` for an
/// invalid one.
fn far(value: Option<&[u8]>) -> Option<bool> {
    let value = value?;
    if is_keyword(value) {
        return Some(false);
    }
    length(value).map(|px| px <= -999.0)
}

/// Whether a `right` or `bottom` offset is 999px or more either way: off
/// the page (a keyword, `auto`, is not); `None` for an invalid one.
fn far_either_way(value: &[u8]) -> Option<bool> {
    if is_keyword(value) {
        return Some(false);
    }
    length(value).map(|px| px.abs() >= 999.0)
}

/// Whether each side of an `inset` (one to four offsets: top, right,
/// bottom, left, as CSS repeats them) moves a box off the page as its
/// longhand would (`top` or `left` at or below -999px, [`far`]; `right` or
/// `bottom` 999px or more either way, [`far_either_way`]); `None` for an
/// invalid value.
fn inset_sides(value: &[u8]) -> Option<[bool; 4]> {
    let sides: Vec<&[u8]> = words(value).collect();
    let [top, right, bottom, left] = match *sides.as_slice() {
        [all] => [all; 4],
        [vertical, horizontal] => [vertical, horizontal, vertical, horizontal],
        [top, horizontal, bottom] => [top, horizontal, bottom, horizontal],
        [top, right, bottom, left] => [top, right, bottom, left],
        _ => return None,
    };
    Some([
        far(Some(top))?,
        far_either_way(right)?,
        far_either_way(bottom)?,
        far(Some(left))?,
    ])
}

/// A CSS length in pixels, as a browser reads one in a 16px font: a number
/// with a unit (`px`, `pt`, `em`, `rem`, `%` of 16px, `in`, `cm`, `mm`,
/// `vw` at 10px…), or a bare `0`; `None` for any other value.
fn length(value: &[u8]) -> Option<f64> {
    let (number, unit) = number(value)?;
    let px = match unit {
        b"" if number == 0.0 => 1.0,
        b"px" => 1.0,
        b"pt" => 4.0 / 3.0,
        b"pc" | b"em" | b"rem" => 16.0,
        b"ex" | b"ch" => 8.0,
        b"%" => 0.16,
        b"in" => 96.0,
        b"cm" => 96.0 / 2.54,
        b"mm" => 96.0 / 25.4,
        b"q" => 96.0 / 101.6,
        b"vw" | b"vh" | b"vmin" | b"vmax" => 10.0,
        _ => return None,
    };
    Some(number * px)
}

/// The CSS number at the start of `value` (`0`, `-.5`, `0.01`, `1e-3`) and
/// what follows it (its unit); `None` without one.
fn number(value: &[u8]) -> Option<(f64, &[u8])> {
    let digits = |from: usize| {
        value
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = usize::from(matches!(value.first(), Some(b'+' | b'-')));
    let whole = digits(end);
    end += whole;
    let mut fraction = 0;
    if value.get(end) == Some(&b'.') {
        fraction = digits(end + 1);
        if fraction > 0 {
            end += 1 + fraction;
        }
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(value.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(value.get(end + 1), Some(b'+' | b'-')));
        let exponent = digits(end + 1 + sign);
        if exponent > 0 {
            end += 1 + sign + exponent;
        }
    }
    let number = std::str::from_utf8(&value[..end]).ok()?.parse().ok()?;
    Some((number, &value[end..]))
}

/// Attributes whose text a buyer sees in place of or beside an element (an
/// image's `alt`, a tooltip's `title`, a control's `value` or
/// `placeholder`) or a screen reader reads (`aria-label`), and a search
/// engine indexes: lower case, in order.
const SHOWN: &[&str] = &[
    "alt",
    "aria-label",
    "label",
    "placeholder",
    "title",
    "value",
];

/// Whether a start tag's attributes have text a buyer reads ([`SHOWN`]).
fn shows_text(attributes: &[u8]) -> bool {
    self::attributes(attributes).any(|(name, value)| !value.is_empty() && is_shown(name))
}

/// Whether an attribute's `name` is one of [`SHOWN`].
fn is_shown(name: &[u8]) -> bool {
    SHOWN
        .iter()
        .any(|shown| name.eq_ignore_ascii_case(shown.as_bytes()))
}

/// Where the end tag closing element `name` (lower case) ends in
/// `content`, the text after its start tag (`</script>`, in any case, with
/// or without spaces or attributes before its `>`): the byte after its
/// `>`. With `nested`, the same element's start and end tags inside are
/// counted (`<span hidden><span>x</span>y</span>`).
fn end_tag(content: &str, name: &[u8], nested: bool) -> Option<usize> {
    let bytes = content.as_bytes();
    let named_at = |at: usize| names_at(bytes, at, name);
    let mut depth = 0usize;
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[from..]).map(|p| from + p) {
        from = at + 1;
        if bytes.get(at + 1) == Some(&b'/') && named_at(at + 2) {
            let end = tag_end(bytes, at + 2 + name.len())?;
            if depth == 0 {
                return Some(end + 1);
            }
            depth -= 1;
            from = end + 1;
        } else if nested && named_at(at + 1) {
            let end = tag_end(bytes, at + 1 + name.len())?;
            depth += 1;
            from = end + 1;
        } else if nested {
            // An end tag inside a comment, or inside an element of raw
            // text, closes nothing (`<span hidden><!--</span>-->x</span>`).
            match skipped(content, at) {
                Some(Some(end)) => from = end,
                Some(None) => return None,
                None => {}
            }
        }
    }
    None
}

/// What an element's content holds at byte `at` (a `<`) of `text` that no
/// tag inside ends, as a browser reads it: a comment (to its end), a bogus
/// comment (`<!…>`, `<?…>`, `</` and no name: to the next `>`; so
/// `<![CDATA[</span>` is one), or an element of raw text (`script`,
/// `textarea`…: to its end tag, when it has one). `Some` with where
/// reading goes on (`None` where it never ends), `None` for anything else.
fn skipped(text: &str, at: usize) -> Option<Option<usize>> {
    let bytes = text.as_bytes();
    let rest = &bytes[at..];
    if let Some(comment) = rest.strip_prefix(b"<!--") {
        return Some(comment_end(comment).map(|end| at + 4 + end));
    }
    let bogus = matches!(rest.get(1), Some(b'!' | b'?'))
        || (rest.get(1) == Some(&b'/') && !rest.get(2).is_some_and(u8::is_ascii_alphabetic));
    if bogus {
        return Some(memchr::memchr(b'>', rest).map(|end| at + end + 1));
    }
    let name = RAW_TEXT
        .iter()
        .find(|name| names_at(bytes, at + 1, name.as_bytes()))?;
    let content = tag_end(bytes, at + 1 + name.len())? + 1;
    if *name == "plaintext" {
        return Some(None);
    }
    // Without its end tag it may be no raw text at all (`<svg><style>`,
    // which SVG parses as markup): read on, so that the hidden element's
    // own end tag is still found.
    end_tag(&text[content..], name.as_bytes(), false).map(|end| Some(content + end))
}

/// Elements of raw text whose content a browser shows, as text.
const SHOWN_RAW_TEXT: &[&str] = &["plaintext", "textarea", "xmp"];

/// Where the content of element `name` of raw text, from byte `content` of
/// `bytes`, ends: at its end tag's `<`, or the text's end (`plaintext`
/// has none).
fn raw_text_end(bytes: &[u8], content: usize, name: &[u8]) -> usize {
    if name == b"plaintext" {
        return bytes.len();
    }
    let mut from = content;
    while let Some(at) = memchr::memmem::find(&bytes[from..], b"</").map(|p| from + p) {
        if names_at(bytes, at + 2, name) {
            return at;
        }
        from = at + 2;
    }
    bytes.len()
}

/// Elements whose content is text, never markup (raw text and escapable
/// raw text): `<` in it begins no tag, and only the element's own end tag
/// ends it (`plaintext`, never).
const RAW_TEXT: &[&str] = &[
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
];

/// Whether a tag's name at byte `at` of `bytes` is `name` (in any case):
/// `name`, then the name's end (a space, a `/` or a `>`, or the text's).
fn names_at(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    let after = bytes.get(at..).unwrap_or_default();
    after.len() >= name.len()
        && after[..name.len()].eq_ignore_ascii_case(name)
        && after
            .get(name.len())
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>'))
}

/// Where the content of ruby annotation `name` (`rt` or `rp`) ends in
/// `content`, the text after its start tag, as a browser ends it: after
/// its end tag, or, its end tag left out, before the next annotation's or
/// base's start tag (`<rt`, `<rp`, `<rb`, `<rtc`) or its ruby's end
/// (`</ruby>`, `</rtc>`), so that `<ruby>Al<rt>x</ruby>pha` shows `Alpha`.
fn annotation_end(content: &str, name: &[u8]) -> Option<usize> {
    let bytes = content.as_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[from..]).map(|p| from + p) {
        from = at + 1;
        if bytes.get(at + 1) == Some(&b'/') {
            if names_at(bytes, at + 2, name) {
                return tag_end(bytes, at + 2 + name.len()).map(|end| end + 1);
            }
            if [&b"ruby"[..], b"rtc"]
                .iter()
                .any(|n| names_at(bytes, at + 2, n))
            {
                return Some(at);
            }
        } else if [&b"rb"[..], b"rp", b"rt", b"rtc"]
            .iter()
            .any(|n| names_at(bytes, at + 1, n))
        {
            return Some(at);
        }
    }
    None
}

/// `text` as a buyer sees it, where it has markup ([`Rendered`]); `None`
/// where it has none (most texts), to be read as sent. Tags of names HTML
/// does not know are text here ([`render_every_tag`] reads them as tags).
#[must_use]
pub fn render(text: &str) -> Option<Rendered> {
    render_with(text, false).0
}

/// `text` as a browser shows it with every tag read as one, even of a name
/// HTML does not know (`Aur<zz></zz>elle` shows `Aurelle`), and bogus
/// comments (`<!x>`, `<?x>`) removed; `None` where that reads no tag
/// [`render`] does not (most texts), so that only a text with such tags
/// needs a second scan.
#[must_use]
pub fn render_every_tag(text: &str) -> Option<Rendered> {
    memchr::memchr(b'<', text.as_bytes())?;
    match render_with(text, true) {
        (rendered, true) => rendered,
        (_, false) => None,
    }
}

/// [`render`], or with `every_tag` [`render_every_tag`]'s reading, and
/// whether that read a tag `render` does not.
fn render_with(text: &str, every_tag: bool) -> (Option<Rendered>, bool) {
    let bytes = text.as_bytes();
    let mut out: Option<Rendered> = None;
    let mut unknown = false;
    // Bytes of `text` copied up to here.
    let mut copied = 0;
    let mut from = 0;
    let mut unclosed = Unclosed::default();
    // No tag begins past the last `>`: a text of many `<` and none after
    // is not searched for an end from each (looked up at the first `<`).
    let last_end = std::cell::OnceCell::new();
    // The content of a shown element of raw text (`textarea`, `xmp`,
    // `plaintext`) ends here: a `<` in it begins no tag nor comment, a `&`
    // draws a character only in a textarea's.
    let (mut raw_end, mut raw_references) = (0, false);
    // In the reading of every tag, the elements open here that override
    // the order of their text (`<bdo dir="rtl">`).
    let mut overrides = Overrides::default();
    while let Some(at) = memchr::memchr2(b'<', b'&', &bytes[from..]).map(|p| from + p) {
        from = at + 1;
        if at < raw_end && (bytes[at] == b'<' || !raw_references) {
            continue;
        }
        if bytes[at] == b'<'
            && last_end
                .get_or_init(|| memchr::memrchr(b'>', bytes))
                .is_none_or(|end| end < at)
        {
            continue;
        }
        let (markup, only_every_tag) = match markup_at(text, at, &mut unclosed, every_tag) {
            None => continue,
            Some(Found::TextUntil(end)) => {
                from = end;
                continue;
            }
            Some(Found::Markup(markup, only_every_tag)) => (markup, only_every_tag),
        };
        unknown |= only_every_tag;
        // A tag drawn (a word's end), not an element removed whole.
        let tag_drawn = matches!(markup, Markup::Draws(..) | Markup::Shown(..));
        let rendered = out.get_or_insert_with(|| Rendered {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len()),
            len: text.len(),
            attributes: Vec::new(),
        });
        // The text before, as it is.
        let one_line = !overrides.is_empty();
        push_text(rendered, text, copied..at, one_line);
        // An element's tag (not one removed whole), in the reading of
        // every tag: the bidi overrides it opens or ends.
        let tag = match markup {
            Markup::Nothing(end) | Markup::Draws(_, end) if every_tag => element_tag(text, at..end),
            _ => None,
        };
        if let Some((true, name, _)) = tag {
            overrides.close(name, rendered, at..markup.end());
        }
        let end = match markup {
            Markup::Nothing(end) | Markup::Removed(end) => end,
            Markup::Draws(drawn, end) => {
                push_drawn(rendered, drawn, at..end);
                end
            }
            Markup::Text(named, end) if one_line && named.contains(ends_paragraph) => {
                push_drawn(rendered, &named.replace(ends_paragraph, " "), at..end);
                end
            }
            Markup::Text(named, end) => {
                push_drawn(rendered, &named, at..end);
                end
            }
            Markup::Shown(tag, end, drawn) => {
                push_drawn(rendered, drawn, at..end);
                for (name, value) in attributes(&bytes[tag.clone()]) {
                    if !value.is_empty() && is_shown(name) {
                        let value = tag.start + value.start..tag.start + value.end;
                        rendered.attributes.push(value);
                    }
                }
                end
            }
        };
        if let Some((false, name, attributes)) = tag
            && let Some(starts) = overrides.open(name, attributes)
        {
            push_drawn(rendered, starts, at..end);
            unknown = true;
        }
        if let Some(name) = SHOWN_RAW_TEXT
            .iter()
            .find(|name| tag_drawn && bytes[at] == b'<' && names_at(bytes, at + 1, name.as_bytes()))
        {
            raw_end = raw_text_end(bytes, end, name.as_bytes());
            raw_references = *name == "textarea";
        }
        copied = end;
        from = end;
    }
    let Some(mut rendered) = out else {
        return (None, unknown);
    };
    // An override not ended by an end tag ends with the text.
    push_text(
        &mut rendered,
        text,
        copied..text.len(),
        !overrides.is_empty(),
    );
    (Some(rendered), unknown)
}

/// Bytes `range` of `text`, pushed to `rendered` as they are; with
/// `one_line` (inside a bidi override), a character that ends a
/// paragraph for the Unicode Bidirectional Algorithm ([`ends_paragraph`])
/// as a space, as HTML draws a line's end in text: the override goes on
/// past it, as a browser's does (`<bdo dir=rtl>\nellerua</bdo>` shows
/// `aurelle`).
fn push_text(rendered: &mut Rendered, text: &str, range: Range<usize>, one_line: bool) {
    let part = &text[range.clone()];
    if one_line && part.contains(ends_paragraph) {
        for (i, c) in part.char_indices() {
            let at = range.start + i;
            if ends_paragraph(c) {
                push_drawn(rendered, " ", at..at + c.len_utf8());
            } else {
                rendered.text.push(c);
                let bytes = at..at + c.len_utf8();
                rendered
                    .origin
                    .extend(bytes.map(|i| (offset(i), offset(i + 1))));
            }
        }
        return;
    }
    rendered.text.push_str(part);
    rendered
        .origin
        .extend(range.map(|i| (offset(i), offset(i + 1))));
}

/// Whether `c` ends a paragraph for the Unicode Bidirectional Algorithm
/// (its class B: a line's end, U+2029 PARAGRAPH SEPARATOR…), ending the
/// overrides in it.
fn ends_paragraph(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{1c}'..='\u{1e}' | '\u{85}' | '\u{2029}')
}

/// An element's tag, bytes `tag` of `text` (from its `<` to after its
/// `>`): whether it is an end tag, its name and its attributes (the bytes
/// between its name and its `>`); `None` for a comment or a bogus one.
fn element_tag(text: &str, tag: Range<usize>) -> Option<(bool, &str, &str)> {
    let inside = text.get(tag.start + 1..tag.end.checked_sub(1)?)?;
    let closing = inside.starts_with('/');
    let inside = &inside[usize::from(closing)..];
    if !inside.as_bytes().first()?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = inside
        .bytes()
        .take_while(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/'))
        .count();
    Some((closing, &inside[..name_len], &inside[name_len..]))
}

/// An open element that overrides the order of its text
/// ([`bidi_override`]).
struct Override {
    /// Its name, lower case.
    name: String,
    /// Elements of its name opened inside it, not yet ended.
    inner: usize,
    /// Right to left.
    rtl: bool,
    /// The controls that end its override ([`controls`]).
    ends: &'static str,
}

/// The elements open at a point of a text that override the order of
/// their text, outermost first: each begins with the Unicode controls that
/// do the same ([`controls`], mapped to its start tag) and ends with
/// theirs at its end tag, or at the end tag of an override it is inside (a
/// browser ends it with it), or else at the text's end, so that the text
/// read in display order ([`super::normalize`]) is read as a browser shows
/// it.
#[derive(Default)]
struct Overrides {
    /// The open overrides, outermost first.
    open: Vec<Override>,
    /// Where those of each name are in `open`, innermost last: a tag finds
    /// the one it counts in at once, however many are open.
    by_name: HashMap<String, Vec<usize>>,
}

impl Overrides {
    /// Whether none is open.
    fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// The innermost open override named `name` (lower case), if any.
    fn innermost(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).and_then(|open| open.last().copied())
    }

    /// End tag `name` (bytes `tag` of the text): ends the innermost open
    /// override of that name, and those inside it, their controls pushed
    /// to `rendered`, but for an element of its name opened inside it,
    /// which it ends instead.
    fn close(&mut self, name: &str, rendered: &mut Rendered, tag: Range<usize>) {
        if self.is_empty() {
            return;
        }
        let Some(at) = self.innermost(&name.to_ascii_lowercase()) else {
            return;
        };
        if self.open[at].inner > 0 {
            self.open[at].inner -= 1;
            return;
        }
        for o in self.open.drain(at..).rev() {
            push_drawn(rendered, o.ends, tag.clone());
            if let Some(open) = self.by_name.get_mut(&o.name) {
                open.pop();
            }
        }
    }

    /// Start tag `name` with `attributes`: the controls that begin the
    /// override it opens, if it does; else, one more element of its name
    /// inside the innermost override of that name.
    fn open(&mut self, name: &str, attributes: &str) -> Option<&'static str> {
        if is_one_of(VOID, name.as_bytes()) {
            return None;
        }
        let inherited = self.open.last().is_some_and(|o| o.rtl);
        let Some((rtl, isolate)) = bidi_override(name, attributes, inherited) else {
            if !self.is_empty()
                && let Some(at) = self.innermost(&name.to_ascii_lowercase())
            {
                self.open[at].inner += 1;
            }
            return None;
        };
        // Past the algorithm's depth, drawing nothing, as a browser's.
        let (starts, ends) = if self.open.len() < MAX_DEPTH {
            controls(rtl, isolate)
        } else {
            ("", "")
        };
        let name = name.to_ascii_lowercase();
        self.by_name
            .entry(name.clone())
            .or_default()
            .push(self.open.len());
        self.open.push(Override {
            name,
            inner: 0,
            rtl,
            ends,
        });
        Some(starts)
    }
}

/// The overrides nested deepest that draw their controls: the Unicode
/// Bidirectional Algorithm ignores those past 125 levels of embedding (its
/// `max_depth`), and each takes one at least; a browser ignores them too.
const MAX_DEPTH: usize = 125;

/// Whether the start tag of element `name` with `attributes` overrides
/// the order of its content, as a browser reads it: `Some((rtl,
/// isolate))` for a `bdo` (`unicode-bidi:bidi-override` in a browser's
/// own style sheet) or an element whose `style` says
/// `unicode-bidi:bidi-override`, or `isolate-override` (its text isolated
/// from the text around it too), right to left where its `direction`
/// says so, or else its `dir` attribute (`rtl` or `ltr`, in any case), or
/// else the override it is inside (`inherited`); `None` for one that
/// overrides nothing (`direction:rtl` alone, or a `dir` alone, reorders
/// no Latin letters).
fn bidi_override(name: &str, attributes: &str, inherited: bool) -> Option<(bool, bool)> {
    // The first of each attribute, as a browser reads only the first.
    let (mut dir, mut style) = (None, None);
    for (attribute, value) in self::attributes(attributes.as_bytes()) {
        if attribute.eq_ignore_ascii_case(b"dir") {
            dir.get_or_insert(value);
        } else if attribute.eq_ignore_ascii_case(b"style") {
            style.get_or_insert(value);
        }
    }
    // Each property's value and whether it was `!important`.
    let (mut unicode_bidi, mut direction) = (None, None);
    let css = style.map(|value| css_text(&decoded_value(&attributes[value])));
    for (property, value, important) in declarations(css.as_deref().unwrap_or_default()) {
        let wide = is_one_of(CSS_WIDE, value);
        match property {
            b"unicode-bidi" => {
                let read = match value {
                    b"bidi-override" => Some(Some(false)),
                    b"isolate-override" => Some(Some(true)),
                    b"embed" | b"isolate" | b"normal" | b"plaintext" => Some(None),
                    _ => wide.then_some(None),
                };
                say(&mut unicode_bidi, read, important);
            }
            b"direction" => {
                let read = match value {
                    b"rtl" => Some(Some(true)),
                    b"ltr" => Some(Some(false)),
                    _ => wide.then_some(None),
                };
                say(&mut direction, read, important);
            }
            _ => {}
        }
    }
    let isolate = match unicode_bidi {
        Some((kind, _)) => kind,
        None => name.eq_ignore_ascii_case("bdo").then_some(false),
    }?;
    let dir = dir.and_then(|value| {
        let value = decoded_value(&attributes[value]);
        if value.eq_ignore_ascii_case("rtl") {
            Some(true)
        } else {
            value.eq_ignore_ascii_case("ltr").then_some(false)
        }
    });
    let rtl = direction
        .and_then(|(rtl, _)| rtl)
        .or(dir)
        .unwrap_or(inherited);
    Some((rtl, isolate))
}

/// A declaration of a property read before as `said` (its value, and
/// whether `!important`): `value`, or `None` for one a browser drops as
/// invalid; a later one wins but for one not `!important` after one that
/// is, as [`Said::say`] reads them.
fn say<T>(said: &mut Option<(T, bool)>, value: Option<T>, important: bool) {
    if let Some(value) = value
        && (important || !said.as_ref().is_some_and(|(_, was)| *was))
    {
        *said = Some((value, important));
    }
}

/// The Unicode controls that override the order of text as an element
/// does ([`bidi_override`]), and those that end them: U+202E RIGHT-TO-LEFT
/// OVERRIDE (or U+202D, left to right) to U+202C POP DIRECTIONAL
/// FORMATTING, inside U+2067 RIGHT-TO-LEFT ISOLATE (U+2066) to U+2069 POP
/// DIRECTIONAL ISOLATE for an isolate.
fn controls(rtl: bool, isolate: bool) -> (&'static str, &'static str) {
    match (rtl, isolate) {
        (true, false) => ("\u{202e}", "\u{202c}"),
        (false, false) => ("\u{202d}", "\u{202c}"),
        (true, true) => ("\u{2067}\u{202e}", "\u{202c}\u{2069}"),
        (false, true) => ("\u{2066}\u{202d}", "\u{202c}\u{2069}"),
    }
}

/// Text `drawn` by markup, bytes `source` of the original, pushed to
/// `rendered`: each of its bytes drawn by all of `source`.
fn push_drawn(rendered: &mut Rendered, drawn: &str, source: Range<usize>) {
    rendered.text.push_str(drawn);
    rendered.origin.extend(std::iter::repeat_n(
        (offset(source.start), offset(source.end)),
        drawn.len(),
    ));
}

/// An attribute's value, bytes `value` of `text`, as a browser reads it
/// ([`value_references`]), pushed to `rendered`.
fn push_value(rendered: &mut Rendered, text: &str, value: Range<usize>) {
    let mut copied = value.start;
    for (reference, drawn) in value_references(text, value.clone()) {
        rendered.text.push_str(&text[copied..reference.start]);
        rendered
            .origin
            .extend((copied..reference.start).map(|i| (offset(i), offset(i + 1))));
        rendered.text.push_str(&drawn);
        rendered.origin.extend(std::iter::repeat_n(
            (offset(reference.start), offset(reference.end)),
            drawn.len(),
        ));
        copied = reference.end;
    }
    rendered.text.push_str(&text[copied..value.end]);
    rendered
        .origin
        .extend((copied..value.end).map(|i| (offset(i), offset(i + 1))));
}

/// An attribute's value as a browser reads it ([`value_references`]): the
/// value as written where it has no reference (most), without a copy.
fn decoded_value(value: &str) -> Cow<'_, str> {
    let mut references = value_references(value, 0..value.len()).peekable();
    if references.peek().is_none() {
        return Cow::Borrowed(value);
    }
    let mut decoded = String::with_capacity(value.len());
    let mut copied = 0;
    for (reference, drawn) in references {
        decoded.push_str(&value[copied..reference.start]);
        decoded.push_str(&drawn);
        copied = reference.end;
    }
    decoded.push_str(&value[copied..]);
    Cow::Owned(decoded)
}

/// The character references in an attribute's value, bytes `value` of
/// `text`, that a browser reads as their characters, in order: each one's
/// bytes and what it draws. All are, but for a name without its `;`
/// followed by a letter, a digit or `=`, which an attribute keeps as
/// written (`?a=1&copy=2`).
fn value_references(
    text: &str,
    value: Range<usize>,
) -> impl Iterator<Item = (Range<usize>, String)> + '_ {
    let mut from = value.start;
    std::iter::from_fn(move || {
        while let Some(at) =
            memchr::memchr(b'&', &text.as_bytes()[from..value.end]).map(|p| from + p)
        {
            from = at + 1;
            let Some((drawn, len)) = reference(&text[at..value.end]) else {
                continue;
            };
            let next = text
                .as_bytes()
                .get(at + len)
                .filter(|_| at + len < value.end);
            let kept = !text[at..].starts_with("&#")
                && !text[..at + len].ends_with(';')
                && next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'=');
            if !kept {
                from = at + len;
                return Some((at..at + len, drawn));
            }
        }
        None
    })
}

/// A byte offset of a listing's text (bounded far below 4 GiB).
fn offset(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any text renders without a panic, both ways, and every span of
        /// the rendered text on its character boundaries maps to one on the
        /// original's, in order.
        #[test]
        fn spans_map_to_character_boundaries(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<b>".to_owned()),
                    Just("</p>".to_owned()),
                    Just("&amp;".to_owned()),
                    Just("&#233;".to_owned()),
                    Just("<!--x-->".to_owned()),
                    Just("&#101".to_owned()),
                    Just("&eacute".to_owned()),
                    Just("<zz>".to_owned()),
                    Just("<span title=\"<x>\">".to_owned()),
                    Just("<img alt='&eacute;x' title=y>".to_owned()),
                    Just("<!x>".to_owned()),
                    Just("<span hidden>".to_owned()),
                    Just("</span>".to_owned()),
                    Just("<script>".to_owned()),
                    Just("<i style='display:\\6e one;font:0/0 a'>".to_owned()),
                    Just("<x-y hidden>".to_owned()),
                    Just("</X-Y>".to_owned()),
                    Just("<rt>".to_owned()),
                    Just("</ruby>".to_owned()),
                    Just("\"".to_owned()),
                    Just("<".to_owned()),
                    Just("&".to_owned()),
                    "\\PC{0,4}",
                ],
                0..12,
            ),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 2),
        ) {
            let text = parts.concat();
            let first = render(&text);
            let apart = first.as_ref().and_then(|r| r.attributes_reading(&text));
            for rendered in [first, render_every_tag(&text), apart].into_iter().flatten() {
                let bounds: Vec<usize> = rendered
                    .text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([rendered.text.len()])
                    .collect();
                let (a, b) = (cuts[0].get(&bounds), cuts[1].get(&bounds));
                let span = rendered.original_span(*a.min(b)..*a.max(b));
                prop_assert!(span.start <= span.end && span.end <= text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }

    fn shown(text: &str) -> String {
        render(text).map_or_else(|| text.to_owned(), |r| r.text)
    }

    /// Whether Aurelle (or 奥瑞尔) is found in a reading of `text`, as a
    /// listing's are scanned: the first, and the second where one is made.
    fn finds_aurelle(text: &str) -> bool {
        !aurelle_found_at(text).is_empty()
    }

    /// Where Aurelle (or 奥瑞尔) is found in the readings of `text`, as
    /// spans of `text`.
    fn aurelle_found_at(text: &str) -> Vec<&str> {
        static INDEX: LazyLock<crate::detect::BrandIndex> = LazyLock::new(|| {
            crate::detect::BrandIndex::build([crate::detect::BrandEntry {
                id: 1,
                names: vec!["Aurelle".to_owned(), "奥瑞尔".to_owned()],
                logos: Vec::new(),
                owner: 0,
                registered: 0,
            }])
            .expect("index builds")
        });
        let mut spans = Vec::new();
        // The first reading (the text as sent where it has no markup), and
        // the second where one is made.
        let every = render_every_tag(text);
        let readings = [Some(render(text)), every.is_some().then_some(every)];
        for rendered in readings.into_iter().flatten() {
            let shown = rendered.as_ref().map_or(text, |r| r.text.as_str());
            let mut found = Vec::new();
            INDEX.scan_text(shown, &mut found);
            for m in found.into_iter().filter(|m| m.brand == 1) {
                let span = rendered
                    .as_ref()
                    .map_or(m.span.clone(), |r| r.original_span(m.span));
                spans.push(&text[span]);
            }
        }
        spans
    }

    /// A `<wbr>` is a word-break opportunity, as U+200B ZERO WIDTH SPACE
    /// is (and `&ZeroWidthSpace;`, which names it): read as one, mapped to
    /// the tag. Invisible characters that are no such opportunity (a soft
    /// hyphen, a zero-width non-joiner, a word joiner) stay what they are.
    #[test]
    fn word_break_opportunities_are_zero_width_spaces() {
        for (text, seen) in [
            ("Genuine<wbr>Aurelle", "Genuine\u{200b}Aurelle"),
            ("Genuine<WBR/>Aurelle", "Genuine\u{200b}Aurelle"),
            ("Genuine<wbr class=x>Aurelle", "Genuine\u{200b}Aurelle"),
            ("Genuine&ZeroWidthSpace;Aurelle", "Genuine\u{200b}Aurelle"),
            ("Genuine&#8203;Aurelle", "Genuine\u{200b}Aurelle"),
            (
                "Genuine&NegativeThinSpace;Aurelle",
                "Genuine\u{200b}Aurelle",
            ),
            // An end tag of a void element: ignored.
            ("Aur</wbr>elle", "Aurelle"),
            ("Aur&shy;elle", "Aur\u{ad}elle"),
            ("Aur&zwnj;elle", "Aur\u{200c}elle"),
            ("Aur&NoBreak;elle", "Aur\u{2060}elle"),
        ] {
            assert_eq!(shown(text), seen, "{text}");
        }
        // With text in its attributes, read apart.
        let text = "Genuine<wbr title=\"x\">Aurelle";
        let first = render(text).expect("markup");
        assert_eq!(first.text, "Genuine\u{200b}Aurelle");
        let apart = first.attributes_reading(text).expect("a title");
        assert_eq!(apart.text, "x");
        // The space drawn maps to the tag.
        let text = "Genuine<wbr>Aurelle";
        let r = render(text).expect("markup");
        let at = r.text.find('\u{200b}').expect("drawn");
        assert_eq!(&text[r.original_span(at..at + 3)], "<wbr>");
        let every = render_every_tag("Genuine<wbr>Aur<zz>elle").map(|r| r.text);
        assert_eq!(every.as_deref(), Some("Genuine\u{200b}Aurelle"));
        // Read so, the name is found, as beside a zero-width space; not
        // where nothing stands between the words.
        assert!(finds_aurelle("Genuine<wbr>Aurelle"));
        assert!(finds_aurelle("Genuine\u{200b}Aurelle"));
        assert!(!finds_aurelle("GenuineAurelle"));
    }

    #[test]
    fn tags_and_references_are_read_as_rendered() {
        assert_eq!(shown("Aur<b></b>elle"), "Aurelle");
        assert_eq!(shown("Aur&#101;lle, Aur&#x65;lle"), "Aurelle, Aurelle");
        assert_eq!(shown("with&nbsp;Orvanta"), "with\u{a0}Orvanta");
        assert_eq!(
            shown("<p>Brand: <STRONG>Aurelle</STRONG></p><ul><li>a</li></ul>"),
            " Brand: Aurelle   a  "
        );
        assert_eq!(shown("Aure<br/>lle Aure<br />lle"), "Aure lle Aure lle");
        assert_eq!(shown("Aur<!-- x -->elle"), "Aurelle");
        assert_eq!(shown("<<b>Lumo"), "<Lumo");
    }

    /// References as a browser reads them in text: without their `;`
    /// where it reads one so, the longest legacy name first, and numbers
    /// naming no character as U+FFFD.
    #[test]
    fn references_are_read_as_a_browser_reads_them() {
        assert_eq!(shown("Aur&#101lle Aur&#xe9lle"), "Aurelle Aurélle");
        assert_eq!(shown("Aur&eacutelle Aur&Eacute;lle"), "Aurélle AurÉlle");
        assert_eq!(shown("&notit; &notin; &amp &nbsp"), "¬it; ∉ & \u{a0}");
        assert_eq!(shown("Aur&#00000000000000000000000101;lle"), "Aurelle");
        assert_eq!(shown("Aur&#128;lle Aur&#x96;lle"), "Aur€lle Aur–lle");
        for number in ["&#xD800;", "&#x110000;", "&#0;", "&#99999999999999999999;"] {
            assert_eq!(
                shown(&format!("Aur{number}elle")),
                "Aur\u{fffd}elle",
                "{number}"
            );
        }
        let text = "Aur&eacutelle";
        let r = render(text).expect("a reference");
        let at = r.text.find('é').expect("drawn");
        assert_eq!(&text[r.original_span(at..at + 'é'.len_utf8())], "&eacute");
    }

    /// A `>` inside a quoted attribute value is the value's; tags of HTML's
    /// older inline elements are tags.
    #[test]
    fn tags_end_where_a_browser_ends_them() {
        assert_eq!(shown("Aur<span class=\"<x>\"></span>elle"), "Aurelle");
        assert_eq!(shown("Aur<span title=\"<x>\"></span>elle"), "Aurelle");
        assert_eq!(shown("Aur<b class='x>y'></b>elle"), "Aurelle");
        for tag in ["ruby", "nobr", "blink", "svg", "rt"] {
            assert_eq!(
                shown(&format!("Aur<{tag}></{tag}>elle")),
                "Aurelle",
                "{tag}"
            );
        }
    }

    /// Tags of names HTML does not know are text in the first reading and
    /// tags in the second, which is made only where there are such tags.
    #[test]
    fn unknown_tags_are_read_both_ways() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        assert_eq!(render("Aur<zz></zz>elle").map(|r| r.text), None);
        assert_eq!(every("Aur<zz></zz>elle").as_deref(), Some("Aurelle"));
        assert_eq!(
            every("Aur<x-y a=\">\"></x-y>elle").as_deref(),
            Some("Aurelle")
        );
        assert_eq!(every("<Aurelle> watch").as_deref(), Some(" watch"));
        assert_eq!(
            every("Aur<!x>elle Aur<?php ?>elle Aur</ >elle").as_deref(),
            Some("Aurelle Aurelle Aurelle")
        );
        assert_eq!(
            every("Aur<b>el</b>le &amp; <zz/x>").as_deref(),
            Some("Aurelle & ")
        );
        // Nothing a first reading does not read: no second one.
        for text in ["Aur<b></b>elle", "plain", "a < b", "size <10cm"] {
            assert_eq!(every(text), None, "{text}");
        }
    }

    #[test]
    fn lists_are_in_order_and_lower_case() {
        for list in [
            INLINE,
            BREAKING,
            HIDDEN,
            ANNOTATIONS,
            VOID,
            SHOWN,
            CSS_WIDE,
            DISPLAY,
            BOXES,
            CODE,
            FONT_SIZES,
            SYSTEM_FONTS,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
            assert!(
                list.iter().all(|e| *e == e.to_ascii_lowercase()),
                "{list:?}"
            );
        }
        assert!(ANNOTATIONS.iter().all(|e| HIDDEN.contains(e)));
    }

    #[test]
    fn text_that_is_no_markup_is_read_as_sent() {
        for text in [
            "<Aurelle> watch",
            "size <10cm, I <3 it",
            "AT&T; Tom & Jerry",
            "a < b > c",
            "&unknown; &#xZZ; &;",
            "<b unclosed",
            "<!-- no end",
            "<bx>",
        ] {
            assert!(render(text).is_none(), "{text}");
        }
    }

    #[test]
    fn many_unclosed_comments_and_tags_are_text() {
        let text = "<!--<b".repeat(10_000);
        assert!(render(&text).is_none());
        assert!(render_every_tag(&text).is_none());
        // A browser reads all from the first `<b` to the one `>` as one tag
        // (a name may hold `<` and `!`) of a name it does not know: text in
        // the first reading, removed in the second.
        let ended = format!("{text}<b>x");
        assert!(render(&ended).is_none());
        let every = render_every_tag(&ended).expect("one unknown tag");
        assert_eq!(every.text, "<!--x");
        // Tags after a tag without an end are its own, as a browser reads
        // them: read as sent.
        assert!(render("Aur<b title=\"x>elle <b>y</b>").is_none());
        // A tag is as long as it is: no limit on its length.
        let long = format!("Aur<b class=\"{}\">elle", "x".repeat(5000));
        assert_eq!(shown(&long), "Aurelle");
    }

    #[test]
    fn comments_end_where_a_browser_ends_them() {
        assert_eq!(shown("<!-->Aurelle<!---->"), "Aurelle");
        assert_eq!(shown("<!--->Aurelle"), "Aurelle");
        assert_eq!(shown("<!-- a --!>Aurelle<!-- b -->"), "Aurelle");
        assert_eq!(shown("Aur<!--x--!>elle"), "Aurelle");
    }

    #[test]
    fn content_a_browser_hides_is_removed_in_the_second_reading() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        assert_eq!(shown("Aur<template>x</template>elle"), "Aurxelle");
        for (text, seen) in [
            ("Aur<template>x</template>elle", "Aurelle"),
            ("<title>case for</title> Aurelle", " Aurelle"),
            ("<noscript>x", ""),
            // Code without its end tag, which the first reading keeps.
            ("Aur<script>x", "Aur"),
            ("Aur<style>p{}", "Aur"),
            (
                "<script type=\"application/ld+json\">{}</script>Aurelle",
                "Aurelle",
            ),
        ] {
            assert_eq!(every(text).as_deref(), Some(seen), "{text}");
        }
        // A closing tag alone hides nothing.
        assert_eq!(every("Aur</script>elle").as_deref(), Some("Aurelle"));
    }

    /// Code, a style sheet's or a script's, is read by no buyer nor search
    /// engine: nothing in either reading, to its end tag (a `</b>` in it
    /// is the script's), spans still mapped; without its end tag the first
    /// reading keeps it as text. Structured data a search engine reads
    /// (JSON-LD) the first reading keeps, and other hidden content too.
    #[test]
    fn code_is_read_as_nothing() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for (text, seen) in [
            ("<style>.aurelle-fit{color:#333}</style>Strap", "Strap"),
            ("Aur<style>x</style>elle", "Aurelle"),
            ("Aur<SCRIPT>var a='</b>';</SCRIPT >elle", "Aurelle"),
            ("Aur<style media=all>x</style\n>elle", "Aurelle"),
            ("<script>aurelle()</script>Strap", "Strap"),
            (
                "<script type=\"module\">import 'aurelle'</script>Strap",
                "Strap",
            ),
        ] {
            assert_eq!(shown(text), seen, "{text}");
            // Both readings read it so: no second one for it.
            assert_eq!(every(text), None, "{text}");
        }
        // A class name in a style sheet names no brand; JSON-LD's does.
        assert!(!finds_aurelle(
            "<style>.aurelle-fit{color:#333}</style>Strap"
        ));
        assert!(!finds_aurelle("<script>var aurelle = 1;</script>Strap"));
        assert!(finds_aurelle("Aur<style>x</style>elle"));
        assert!(finds_aurelle(
            "<script type=\"application/ld+json\">{\"brand\":\"Aurelle\"}</script>"
        ));
        // With other markup the second reading reads it so too.
        assert_eq!(
            every("<style>.aurelle{}</style>Aur<zz>elle").as_deref(),
            Some("Aurelle")
        );
        // Spans map to the original around it.
        let text = "Aur<style>x</style>elle";
        let r = render(text).expect("markup");
        assert_eq!(&text[r.original_span(0..r.text.len())], text);
        assert_eq!(&text[r.original_span(3..4)], "e");
        // Without its end tag: text in the first reading, as a platform
        // that strips tags shows it; none in the second.
        for text in ["<style>.aurelle{}", "Aur<script>elle"] {
            assert_eq!(render(text).map(|r| r.text), None, "{text}");
        }
        // Many without an end: each searched for once.
        let many = "<style>x<script>".repeat(5000);
        assert_eq!(render(&many).map(|r| r.text), None);
        // JSON-LD, whose brand a search engine reads, and content a
        // browser hides on purpose, kept in the first reading.
        let json = "<script type=\"application/ld+json\">{\"brand\":\"Aurelle\"}</script>";
        assert_eq!(shown(json), json);
        let json = "<script TYPE='Application/LD+JSON '>{\"brand\":\"Aurelle\"}</script>";
        assert_eq!(shown(json), json);
        assert_eq!(shown("Aur<span hidden>zz</span>elle"), "Aurzzelle");
        assert_eq!(shown("<b style=\"display:none\">Aurelle</b>"), "Aurelle");
        assert_eq!(shown("<template>Aurelle</template>"), "Aurelle");
    }

    #[test]
    fn elements_hidden_by_their_attributes_are_removed_in_the_second_reading() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for (text, seen) in [
            ("Aur<span hidden>x</span>elle", "Aurelle"),
            ("Aur<SPAN HIDDEN=\"\">x</SPAN>elle", "Aurelle"),
            (
                "<div style=\"color: red; display : none\">case for</div>Aurelle",
                "Aurelle",
            ),
            ("<b style='visibility:hidden'>x</b>Aurelle", "Aurelle"),
            ("<span hidden><span>x</span>y</span>Aurelle", "Aurelle"),
            ("Aurelle<span hidden>x", "Aurelle"),
            // Attributes after a `/`, as a browser reads them.
            ("Aur<span/style=\"display:none\">x</span>elle", "Aurelle"),
            ("Aur<datalist>x</datalist>elle", "Aurelle"),
            ("Aur<audio src=a.mp3>x</audio>elle", "Aurelle"),
            // Fallback content, drawn by no browser that draws the element.
            ("Aur<canvas width=0 height=0>qqqq</canvas>elle", "Aurelle"),
            ("Aur<video width=\"0\">qqqq</video>elle", "Aurelle"),
            // An svg of no size, and the parts of one it does not draw.
            (
                "Aur<svg width=\"0\" height=\"0\"><text>qqqq</text></svg>elle",
                "Aurelle",
            ),
            ("Aur<svg height=0px><text>qqqq</text></svg>elle", "Aurelle"),
        ] {
            assert_eq!(every(text).as_deref(), Some(seen), "{text}");
        }
        // Not hidden: a value that says so, a void element's own tag.
        assert_eq!(
            every("<span title=\"hidden\">Aur</span>elle<zz>").as_deref(),
            Some("Aurelle")
        );
        assert_eq!(
            every("<img hidden src=x>Aurelle<zz>").as_deref(),
            Some(" Aurelle")
        );
        assert_eq!(
            every("<svg width=\"10\"><text>Aurelle</text></svg><zz>").as_deref(),
            Some("Aurelle")
        );
        // The first reading keeps the content.
        assert_eq!(shown("Aur<span hidden>x</span>elle"), "Aurxelle");
        // A zero size or opacity hides too; more of a number does not.
        for text in [
            "Aur<span style=\"font-size:0\">x</span>elle<zz>",
            "Aur<span style=\"FONT-SIZE: 0px\">x</span>elle<zz>",
            "Aur<i style=\"color:red;opacity:0\">x</i>elle<zz>",
        ] {
            assert_eq!(every(text).as_deref(), Some("Aurelle"), "{text}");
        }
        for text in [
            "Aur<span style=\"font-size:0.9em\">x</span>elle<zz>",
            "Aur<span style=\"font-size:10px\">x</span>elle<zz>",
            "Aur<i style=\"opacity:0.5\">x</i>elle<zz>",
        ] {
            assert_eq!(every(text).as_deref(), Some("Aurxelle"), "{text}");
        }
    }

    /// A hidden element ends at the end tag a browser ends it at: not one
    /// inside a comment, a bogus comment or an element of raw text. A
    /// dialog shows only while open.
    #[test]
    fn a_hidden_element_ends_where_a_browser_ends_it() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for text in [
            "Aur<span style=\"display:none\">x<!-- </span> -->yyyy</span>elle",
            "Aur<span hidden>x<!-- </span> -->yyyy</span>elle",
            "Aur<span hidden>x<![CDATA[</span>]]>yyyy</span>elle",
            "Aur<span hidden>x<script></span></script>yyyy</span>elle",
            "Aur<span hidden>x<textarea></span></textarea>yyyy</span>elle",
            "Aur<span hidden>x<? </span>yyyy</span>elle",
            "Aur<dialog>Montblanc shoes</dialog>elle",
            "Aur<DIALOG class=x>y</DIALOG>elle",
            // A raw-text element without its end tag may be SVG's markup.
            "Aur<span hidden>zz<svg><style></svg></span>elle",
        ] {
            assert_eq!(every(text).as_deref(), Some("Aurelle"), "{text}");
        }
        assert_eq!(
            every("Aur<span hidden>x<plaintext></span>yyyy</span>elle").as_deref(),
            Some("Aur")
        );
        assert_eq!(
            every("<dialog open>Aurelle</dialog><zz>").as_deref(),
            Some(" Aurelle ")
        );
    }

    /// The content of a shown element of raw text is text: a `<` in it
    /// begins no tag nor comment (a textarea's `&` still draws a
    /// character), to its own end tag (`plaintext`: to the text's end).
    #[test]
    fn shown_raw_text_is_read_as_text() {
        assert_eq!(
            shown("<textarea><!--</textarea>Aurelle watch<!-- -->"),
            " <!-- Aurelle watch"
        );
        assert_eq!(
            shown("Automatic watch <xmp><!-- Aurelle &amp; --></xmp>"),
            "Automatic watch  <!-- Aurelle &amp; --> "
        );
        assert_eq!(
            shown("<plaintext>Automatic <!-- Aurelle --> watch</plaintext>"),
            " Automatic <!-- Aurelle --> watch</plaintext>"
        );
        assert_eq!(
            shown("<textarea>Aur&#101;lle <b>x</textarea>"),
            " Aurelle <b>x "
        );
        // A hidden one is removed whole: what follows is markup again.
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for hidden in [
            "<textarea hidden></textarea>",
            "<xmp style=\"display:none\">x</xmp>",
        ] {
            assert_eq!(
                every(&format!("{hidden}Aur<span hidden>zz</span>elle")).as_deref(),
                Some("Aurelle"),
                "{hidden}"
            );
        }
    }

    /// A style is read as CSS declarations: references and escapes read,
    /// comments dropped, the last valid declaration of a property winning
    /// but for `!important`; what hides a name's part hides it whatever its
    /// spelling.
    #[test]
    fn styles_are_read_as_a_browser_reads_their_css() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        // In an attribute quoted with what the style does not hold.
        let styled = |style: &str| {
            let quote = if style.contains('"') { '\'' } else { '"' };
            format!("Aur<i style={quote}{style}{quote}>x</i>elle<zz>")
        };
        for style in [
            "opacity:0.01",
            "opacity:.0",
            "opacity:0.0",
            "opacity: 5%",
            "opacity:-1",
            "display:&#110;one",
            "display:&#x6E;one",
            "display:/**/none",
            "display:none/* x */",
            "/*;*/display:none",
            "display:none!important",
            "display : none ! IMPORTANT",
            "DISPLAY:NONE",
            "display:\\6e one",
            "d\\isplay:none",
            "visibility:collapse",
            "font-size:0.0px",
            "font-size:.0px",
            "font-size:00",
            "font-size:0.1px",
            "font-size:1pt",
            "font-size:0.1em",
            "font-size:0.1rem",
            "font-size:10%",
            "font-size:0vw",
            "font:0/0 a",
            "font: 0px serif",
            "font:italic bold 0/0 'x'",
            "color:transparent",
            "color:rgba(0,0,0,0)",
            "color:rgb(0 0 0 / 5%)",
            "color:#0000",
            "color:#12345600",
            "width:0;height:0;overflow:hidden",
            "width:1px;height:0px;overflow:clip",
            "position:absolute;width:1px;height:1px;overflow:hidden",
            "text-indent:-9999px",
            "text-indent:-999px",
            "position:absolute;left:-9999px",
            "position:fixed;top:-10000px",
            "left:-9999px;position:absolute",
            "display:none!important;display:block",
            "display:none;display:qq",
            "font-family:'a;b';display:none",
            "background:url(a;b);display:none",
            "color:red;opacity:0",
            "position:relative;left:-9999px",
            "position:absolute;right:-9999px",
            "position:absolute;right:9999px",
            "position:relative;right:9999px",
            "position:absolute;bottom:9999px",
            "position:absolute;inset:-9999px",
            "position:absolute;inset:0 9999px",
            "display:inline-block;width:0;height:0;overflow-x:hidden;overflow-y:hidden",
            "content-visibility:hidden",
            "-webkit-text-fill-color:transparent",
            "color:red;-webkit-text-fill-color:rgba(0,0,0,0)",
            "max-width:0;max-height:0;overflow:hidden",
            // Shorthands and longhands in order.
            "width:0;height:0;overflow-x:visible;overflow:hidden",
            "width:0;height:0;overflow:hidden!important;overflow-x:visible",
            "width:0;height:0;overflow:visible hidden;overflow-x:clip",
            "position:absolute;left:0;inset:-9999px",
            "position:absolute;inset:0;left:-9999px",
        ] {
            assert_eq!(every(&styled(style)).as_deref(), Some("Aurelle"), "{style}");
        }
        for style in [
            "opacity:0.5",
            "opacity:0.1",
            "opacity:10%",
            "font-size:0.9em",
            "font-size:10px",
            "font-size:2px",
            "font-size:small",
            "font-size:-1px",
            "font: 12px serif",
            "font:bold 12px/0 serif",
            "font:caption",
            "color:red",
            "color:#000",
            "color:rgba(0,0,0,0.5)",
            "text-indent:2em",
            "text-indent:-10px",
            "left:-10px",
            "position:absolute;left:-10px",
            "position:relative",
            "left:-9999px",
            "position:static;left:-9999px",
            "width:0;height:0",
            "width:0;overflow:hidden",
            "width:0;height:10px;overflow:hidden",
            "width:0;height:0;overflow:hidden visible",
            "width:0;height:0;overflow-x:hidden",
            "position:absolute;right:10px",
            "position:absolute;inset:0",
            "position:absolute;inset:0 1 2 3 4",
            "position:absolute;inset:1200px auto auto 0",
            "right:9999px",
            // A later longhand undoes its part of a shorthand; an invalid
            // shorthand is dropped whole.
            "width:0;height:0;overflow:hidden;overflow-x:visible",
            "width:0;height:0;overflow:hidden;overflow-y:auto",
            "width:0;height:0;overflow:hidden inherit",
            "width:0;height:0;overflow:hidden;overflow:hidden hidden hidden;overflow-y:scroll",
            "position:absolute;inset:-9999px 0 0 0;top:0",
            "position:absolute;inset:0 0 0 -9999px;left:auto",
            "position:absolute;inset:-9999px;inset:0",
            "display:block",
            "display:none;display:block",
            "display:none;display:inline flow",
            "display:none;display:inherit",
            "display:no/**/ne",
            "display:\\none2",
            "opacity:\\30",
            "display: nonex",
            "font-family:'display:none'",
            "font-family:'a;display:none'",
            "content:'\\';display:none'",
            "x-display:none",
            "--display:none",
            // Gradient text: a transparent colour shows its background.
            "color:transparent;background-clip:text;background-image:linear-gradient(red,blue)",
            "color:transparent;-webkit-background-clip:text",
            "color:transparent;-webkit-text-fill-color:#222",
            // A fade-in; a share of a container not known here.
            "opacity:0;animation:fadein 1s forwards",
            "opacity:0;transition:opacity .3s",
            "width:10%;height:1%;overflow:hidden",
            "position:sticky;top:-9999px",
        ] {
            assert_eq!(
                every(&styled(style)).as_deref(),
                Some("Aurxelle"),
                "{style}"
            );
        }
        // Only the first `style` attribute is read, as a browser reads it.
        assert_eq!(
            every("Aur<i style=\"color:red\" style=\"display:none\">x</i>elle<zz>").as_deref(),
            Some("Aurxelle")
        );
        assert_eq!(
            every("Aur<i style='opacity:&#48;'>x</i>elle").as_deref(),
            Some("Aurelle")
        );
    }

    /// A box narrower or lower than 2px whose overflow that way is hidden
    /// (a width does nothing to an inline element's text), and a filter's
    /// opacity, a scale or a zoom below 0.1, show nothing.
    #[test]
    fn small_boxes_faint_filters_scales_and_zooms_hide() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        let styled = |style: &str| format!("Aur<span style=\"{style}\">zz</span>elle<zz>");
        for style in [
            "width:0;display:inline-block;overflow:hidden",
            "max-width:0;display:inline-block;overflow:hidden",
            "display:block;width:1px;overflow-x:hidden",
            "display:inline flow-root;width:0;overflow:clip",
            "display:flex;height:0;overflow:hidden",
            "display:list-item;max-height:0;overflow-y:hidden",
            "position:absolute;width:0;overflow:hidden",
            "float:left;height:0;overflow:hidden",
            "display:inline;display:inline-block;width:0;overflow:hidden",
            "filter:opacity(0)",
            "filter:opacity(0%)",
            "filter:OPACITY( .05 )",
            "filter:blur(1px) opacity(.05)",
            "filter:opacity(.5) opacity(.1)",
            "filter:drop-shadow(0 0 rgb(0 0 0)) opacity(0)",
            "scale:0",
            "scale:0 0",
            "scale:0%",
            "scale:1 0",
            "scale:0.05 1 1",
            "zoom:0.01",
            "zoom:1%",
            "zoom:normal;zoom:.05",
        ] {
            assert_eq!(every(&styled(style)).as_deref(), Some("Aurelle"), "{style}");
        }
        for style in [
            // An inline element's text: a width does nothing to it.
            "width:0;overflow:hidden",
            "max-width:0;overflow:hidden",
            "display:inline;width:0;overflow:hidden",
            "display:contents;width:0;overflow:hidden",
            "display:inline-block;width:0;overflow:hidden;display:inline",
            "position:relative;width:0;overflow:hidden",
            "float:none;width:0;overflow:hidden",
            // A table's cell is as wide as its content.
            "display:table-cell;width:0;overflow:hidden",
            // Its overflow shown.
            "display:inline-block;width:0",
            "display:inline-block;width:0;overflow-x:visible",
            "filter:none",
            "filter:opacity(0.5)",
            "filter:opacity()",
            "filter:opacity(2) opacity(.1)",
            "filter:blur(0)",
            "filter:opacity(-1)",
            "filter:opacity(0",
            "filter:opacity(0);animation:fade 1s",
            "filter:opacity(0);filter:none",
            "scale:none",
            "scale:1",
            "scale:0.5",
            "scale:-1 1",
            "scale:0 0 0 0",
            "scale:0;scale:1",
            "scale:0;transition:scale .2s",
            "zoom:normal",
            "zoom:reset",
            "zoom:0.5",
            "zoom:-0.01",
            // Zero, a browser reads as 1.
            "zoom:0",
            "zoom:0%",
            "zoom:0.01;zoom:normal",
            "letter-spacing:-1em",
        ] {
            assert_eq!(
                every(&styled(style)).as_deref(),
                Some("Aurzzelle"),
                "{style}"
            );
        }
        // The name a buyer reads is found.
        for style in [
            "width:0;display:inline-block;overflow:hidden",
            "filter:opacity(0)",
            "scale:0",
            "zoom:1%",
        ] {
            let text = format!("Aur<span style=\"{style}\">zz</span>elle");
            assert!(finds_aurelle(&text), "{style}");
        }
        // A `font`'s `color` is a legacy colour, which a browser reads as
        // none for `transparent` and as an opaque colour for any other
        // value: it makes no text transparent; its `style` still may.
        for color in ["transparent", "#00000000", "rgba(0,0,0,0)", "#0000"] {
            let text = format!("Aur<font color=\"{color}\">zz</font>elle<zz>");
            assert_eq!(every(&text).as_deref(), Some("Aurzzelle"), "{color}");
        }
        assert_eq!(
            every("Aur<font color=red style=\"color:transparent\">zz</font>elle").as_deref(),
            Some("Aurelle")
        );
    }

    /// Markup that overrides the order of its text (`<bdo dir="rtl">`,
    /// `unicode-bidi:bidi-override`) draws it reversed: the second reading
    /// begins and ends it with the Unicode controls that do the same,
    /// mapped to its tags, and reads it in display order; the first
    /// reads it as written.
    #[test]
    fn markup_that_reverses_text_is_read_as_shown() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for (text, seen) in [
            (
                "<bdo dir=\"rtl\">ellerua</bdo> automatic",
                "\u{202e}ellerua\u{202c} automatic",
            ),
            ("<BDO DIR=RTL>ellerua</Bdo>", "\u{202e}ellerua\u{202c}"),
            ("<bdo dir='Rtl'>ellerua</bdo>", "\u{202e}ellerua\u{202c}"),
            ("<bdo dir=&#114;tl>ellerua</bdo>", "\u{202e}ellerua\u{202c}"),
            (
                "<span style=\"unicode-bidi:bidi-override;direction:rtl\">ELLERUA</span>",
                "\u{202e}ELLERUA\u{202c}",
            ),
            (
                "<span style=\"UNICODE-BIDI: isolate-override; direction: RTL\">x</span>",
                "\u{2067}\u{202e}x\u{202c}\u{2069}",
            ),
            (
                "<div dir=rtl style=\"unicode-bidi:bidi-override\">x</div>",
                " \u{202e}x\u{202c} ",
            ),
            (
                "<bdo dir=rtl style=\"direction:ltr\">x</bdo>",
                "\u{202d}x\u{202c}",
            ),
            (
                "<span style=\"direction:rtl!important;direction:ltr;unicode-bidi:bidi-override\">x</span>",
                "\u{202e}x\u{202c}",
            ),
            // Left to right inside right to left; an override without a
            // direction takes the one it is inside.
            (
                "<bdo dir=rtl>a<bdo dir=ltr>bc</bdo>d</bdo>",
                "\u{202e}a\u{202d}bc\u{202c}d\u{202c}",
            ),
            (
                "<bdo dir=rtl>a<i style=\"unicode-bidi:bidi-override\">b</i></bdo>",
                "\u{202e}a\u{202e}b\u{202c}\u{202c}",
            ),
            // Elements of its name inside it end first.
            (
                "<span style=\"unicode-bidi:bidi-override;direction:rtl\">a<span>b</span>c</span>d",
                "\u{202e}abc\u{202c}d",
            ),
            // Without its end tag: to the end tag of the override it is
            // inside, or to the text's end.
            (
                "<span style=\"unicode-bidi:bidi-override;direction:rtl\">a<bdo dir=ltr>b</span>c",
                "\u{202e}a\u{202d}b\u{202c}\u{202c}c",
            ),
            ("Aur<bdo dir=rtl>ellerua", "Aur\u{202e}ellerua"),
            // A line's end draws a space, inside which the override goes
            // on.
            (
                "<bdo dir=rtl>\nellerua&#10;</bdo>\n",
                "\u{202e} ellerua \u{202c}\n",
            ),
        ] {
            assert_eq!(every(text).as_deref(), Some(seen), "{text}");
        }
        // Nothing overridden: a direction, a `dir` or an embedding alone,
        // a value a browser drops, a hidden element removed whole.
        for text in [
            "<span style=\"direction:rtl\">ellerua</span>",
            "<span dir=rtl>ellerua</span>",
            "<span style=\"unicode-bidi:embed;direction:rtl\">x</span>",
            "<span style=\"unicode-bidi:bidi-override;unicode-bidi:isolate;direction:rtl\">x</span>",
            "<bdo dir=rtl hidden>x</bdo>",
            "<br dir=rtl style=\"unicode-bidi:bidi-override\">",
        ] {
            let read = every(text).unwrap_or_default();
            assert!(!read.contains(['\u{202d}', '\u{202e}']), "{text}");
        }
        assert_eq!(
            every("<span style=\"unicode-bidi:bidi-override!important;unicode-bidi:normal;direction:rtl\">x</span>")
                .as_deref(),
            Some("\u{202e}x\u{202c}")
        );
        // The first reading reads the text as written.
        assert_eq!(shown("<bdo dir=\"rtl\">ellerua</bdo>"), "ellerua");
        // Controls map to the tags.
        let text = "Aur<bdo dir=rtl>elle</bdo>";
        let r = render_every_tag(text).expect("an override");
        assert_eq!(&text[r.original_span(3..6)], "<bdo dir=rtl>");
        assert_eq!(&text[r.original_span(10..13)], "</bdo>");
        // Read in display order, the name a buyer sees is found.
        for text in [
            "<bdo dir=\"rtl\">ellerua</bdo> automatic",
            "<span style=\"unicode-bidi:bidi-override;direction:rtl\">ELLERUA</span>",
            "<bdo dir=rtl>尔瑞奥</bdo>",
            "<span style=\"unicode-bidi:isolate-override;direction:rtl\">ellerua</span>",
            "Genuine <bdo dir=rtl>ellerua",
            "<bdo dir=rtl>\nellerua</bdo>",
            "<bdo dir=rtl><bdo dir=ltr>x</bdo>ellerua</bdo>",
        ] {
            assert!(finds_aurelle(text), "{text}");
        }
        assert!(!finds_aurelle("ellerua automatic"));
        // Found where it is written.
        assert_eq!(
            aurelle_found_at("Strap <bdo dir=\"rtl\">ellerua</bdo> automatic"),
            ["ellerua"]
        );
        assert!(!finds_aurelle("<bdo dir=ltr>ellerua</bdo>"));
        // Many unclosed, each read once; past the algorithm's depth
        // drawing nothing, and ended all the same.
        let started = std::time::Instant::now();
        let many = "<bdo dir=rtl>a".repeat(1500);
        let read = render_every_tag(&many).expect("overrides");
        let count = |read: &str, c: char| read.chars().filter(|&d| d == c).count();
        assert_eq!(count(&read.text, '\u{202e}'), MAX_DEPTH);
        let many = "<bdo dir=rtl><i>a</i>".repeat(1000);
        assert!(render_every_tag(&many).is_some());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let deep = format!(
            "{}x{}Aurelle",
            "<bdo dir=rtl>".repeat(200),
            "</bdo>".repeat(200)
        );
        let read = every(&deep).expect("overrides");
        assert_eq!(count(&read, '\u{202c}'), MAX_DEPTH);
        assert!(read.ends_with("\u{202c}Aurelle"));
        assert!(finds_aurelle(&deep));
    }

    /// A custom element (a name with a `-`) hidden by its attributes is
    /// removed with its content, to its end tag (nested, in any case).
    #[test]
    fn custom_elements_hidden_by_their_attributes_are_removed() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        for text in [
            "Aur<x-hide hidden>x</x-hide>elle",
            "Aur<custom-el style=\"display:none\">x</custom-el>elle",
            "Aur<X-Hide hidden>x<x-hide>y</x-hide>z</x-HIDE>elle",
            "Aur<a-very-long-custom-element-name hidden>x</a-very-long-custom-element-name>elle",
            "Aur<span style=\"opacity:0\">x</span>elle",
        ] {
            assert_eq!(every(text).as_deref(), Some("Aurelle"), "{text}");
        }
        // Not hidden, it draws its content; the first reading keeps it all.
        assert_eq!(
            every("Aur<x-show title=x>x</x-show>elle").as_deref(),
            Some("Aurxelle")
        );
        assert_eq!(
            render("Aur<x-hide hidden>x</x-hide>elle").map(|r| r.text),
            None
        );
    }

    /// Ruby annotations are drawn above the line: the second reading joins
    /// the base characters, whether or not the annotation's end tag is
    /// written.
    #[test]
    fn ruby_annotations_are_removed_in_the_second_reading() {
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        let text = "<ruby>奥<rt>ao</rt>瑞<rt>rui</rt>尔<rt>er</rt></ruby>";
        assert_eq!(shown(text), "奥ao瑞rui尔er");
        assert_eq!(every(text).as_deref(), Some("奥瑞尔"));
        for (text, seen) in [
            ("<ruby>奥<rp>(</rp><rt>ao</rt><rp>)</rp>瑞</ruby>", "奥瑞"),
            ("<ruby>Al<rt>x</ruby>pha", "Alpha"),
            ("<ruby>A<rt>x<rt>y</rt>l</ruby>pha", "Alpha"),
            ("<ruby>A<rp>(<rt>x<rp>)</ruby>lpha", "Alpha"),
            ("<ruby>A<RT>x</Rt>lpha</ruby>", "Alpha"),
        ] {
            assert_eq!(every(text).as_deref(), Some(seen), "{text}");
        }
    }

    #[test]
    fn text_in_attributes_is_read_apart() {
        let apart = |text: &str| {
            render(text)
                .and_then(|r| r.attributes_reading(text))
                .map(|r| r.text)
        };
        for (text, seen, read) in [
            (
                "<img src=\"a.jpg\" alt=\"Aurelle watch\">",
                " ",
                "Aurelle watch",
            ),
            (
                "Buy <img alt='Aur&eacute;lle' title=gift>now",
                "Buy  now",
                "Aurélle gift",
            ),
            // The tag draws nothing in the text: a title splits nothing.
            ("<b title=\"x\">Aur</b>elle", "Aurelle", "x"),
            (
                "Strap for <a href=\"/c\" title=\"Shop all\">Aurelle</a>",
                "Strap for Aurelle",
                "Shop all",
            ),
            ("<span aria-label=\"Lumo\"></span>", "", "Lumo"),
            ("<br placeholder=\"Lumo\" class=\"Aurelle\">", " ", "Lumo"),
            // An attribute keeps a name without its `;` before a letter, a
            // digit or `=`.
            (
                "<img alt=\"a&copy=2 &copyx &copy; &copy\">",
                " ",
                "a&copy=2 &copyx © ©",
            ),
        ] {
            assert_eq!(shown(text), seen, "{text}");
            assert_eq!(apart(text).as_deref(), Some(read), "{text}");
        }
        // Without a value, or on an end tag, no text; nor without markup.
        assert_eq!(apart("<img alt>x</b title=\"Lumo\">"), None);
        assert_eq!(apart("Aurelle"), None);
        // No second reading for attributes alone.
        assert_eq!(
            render_every_tag("Aur<b title=\"x\">elle</b>").map(|r| r.text),
            None
        );
        // Spans map to the value as sent, in order.
        let text = "Buy <img alt='Aur&eacute;lle' title=gift>now";
        let reading = render(text)
            .and_then(|r| r.attributes_reading(text))
            .expect("attributes");
        let at = reading.text.find("Aurélle").expect("the name");
        let span = reading.original_span(at..at + "Aurélle".len());
        assert_eq!(&text[span], "Aur&eacute;lle");
        let at = reading.text.find("gift").expect("the title");
        assert_eq!(&text[reading.original_span(at..at + 4)], "gift");
        let whole = reading.original_span(0..reading.text.len());
        assert_eq!(&text[whole], "Aur&eacute;lle' title=gift");
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let text = "<p>Aur&#101;lle</p> &amp; Lumo";
        let r = render(text).expect("markup");
        let at = r.text.find("Aurelle").expect("found");
        let span = r.original_span(at..at + "Aurelle".len());
        assert_eq!(&text[span], "Aur&#101;lle");
        let at = r.text.find("Lumo").expect("found");
        assert_eq!(&text[r.original_span(at..at + 4)], "Lumo");
        let at = r.text.find('&').expect("found");
        assert_eq!(&text[r.original_span(at..at + 1)], "&amp;");
    }
}

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
//!   `img`…) ends a word, as a line break does.
//!
//! A tag of a name HTML does not know (`<Aurelle>`, `<zz>`) a browser hides
//! too, drawing its content inline, while a platform that escapes markup
//! shows it as written. Neither reading may hide a name: [`render`] reads
//! such tags as text (`<Aurelle> watch` shows `Aurelle`), and
//! [`render_every_tag`], a second reading made only for a text that has
//! them, removes them as a browser does (`Aur<zz></zz>elle` shows
//! `Aurelle`); a listing is scanned in both. The same goes for content a
//! browser does not show ([`HIDDEN`]: `script`, `style`, `template`…; and
//! an element whose `hidden` or `style` attribute hides it): the first
//! reading keeps it, as a platform that strips tags shows it, the second
//! removes it (`Aur<script>x</script>elle` shows `Aurelle`). Text in an
//! element's attributes that a buyer, a screen reader or a search engine
//! reads ([`SHOWN`]: an image's `alt`, a `title`) is words of its own in
//! the first reading (`<img alt="Aurelle">`), and the tag draws nothing in
//! the second (`Aur<b title="x">elle` shows `Aurelle`).
//!
//! Most texts have neither `<` nor `&`; those that have them but no markup
//! are read as sent, without a copy.

use std::{collections::HashMap, ops::Range, sync::LazyLock};

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
    "pre",
    "section",
    "source",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
    "video",
];

/// The longest named character reference
/// (`&CounterClockwiseContourIntegral;` is 33).
const REFERENCE_MAX: usize = 40;

/// Elements whose content a browser does not show (raw text, inert or
/// hidden by default), lower case, in order: in the reading of every tag
/// ([`render_every_tag`]) an element of these is removed whole, to its end
/// tag (`Aur<script>x</script>elle` shows `Aurelle`); the first reading
/// keeps its content, as a platform that strips tags shows it.
const HIDDEN: &[&str] = &[
    "iframe", "noembed", "noframes", "noscript", "rp", "script", "style", "template", "title",
];

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
}

impl Rendered {
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
    /// A word's end: another element's tag.
    Break(usize),
    /// A character reference: what it names.
    Text(String, usize),
    /// An element's tag with attributes whose text a buyer or a search
    /// engine reads ([`SHOWN`]: `alt`, `title`…), in the first reading:
    /// their values, each a word or more of its own; the tag's
    /// attributes are the bytes of `.0`.
    Shown(Range<usize>, usize),
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

/// The markup at byte `at` of `text` (a `<` or a `&`), if any
/// ([`Found`]). `every_tag` asks for [`render_every_tag`]'s reading. `unclosed` is
/// where a comment was found to have no end: none after it has one either
/// (a text of many `<!--` is searched once, not once each).
fn markup_at(text: &str, at: usize, unclosed: &mut usize, every_tag: bool) -> Option<Found> {
    let rest = &text[at..];
    if rest.starts_with('&') {
        let (drawn, len) = reference(rest)?;
        return Some(Found::Markup(Markup::Text(drawn, at + len), false));
    }
    if let Some(comment) = rest.strip_prefix("<!--") {
        if at >= *unclosed {
            return None;
        }
        // `<!-->` and `<!--->` are empty comments; a comment ends at the
        // first `-->` or `--!>`.
        let end = if comment.starts_with('>') {
            Some(1)
        } else if comment.starts_with("->") {
            Some(2)
        } else {
            let ends = [("-->", 3), ("--!>", 4)];
            ends.iter()
                .filter_map(|&(end, len)| comment.find(end).map(|at| at + len))
                .min()
        };
        let Some(end) = end else {
            *unclosed = at;
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
        // HTML's own element, written as one: its name, then the tag's end,
        // a space before attributes, or `/>`.
        let element = (after.is_empty()
            || after.starts_with([' ', '\t', '\n', '\r', '\x0c'])
            || after == "/")
            && name.bytes().all(|b| b.is_ascii_alphanumeric());
        // Lower case on the stack: no element's name is longer.
        let mut lower = [0u8; 16];
        if element && name.len() <= lower.len() {
            let lower = &mut lower[..name.len()];
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            let known = |list: &[&str]| list.binary_search_by(|e| e.as_bytes().cmp(lower)).is_ok();
            // Content a browser does not show: a raw-text or inert element
            // (`script`, `template`…), or one its attributes hide (`<span
            // hidden>`, `style="display:none"`). Removed to the end tag
            // that closes it (for the latter counting the same element
            // inside; raw text nests nothing); without one, to the text's
            // end, as a browser hides all that follows.
            if every_tag && closing == 0 {
                let raw = known(HIDDEN);
                if raw || (!known(VOID) && hides_content(after.as_bytes())) {
                    let content = &text[at + end + 1..];
                    let close =
                        end_tag(content, lower, !raw).map_or(text.len(), |e| at + end + 1 + e);
                    return Some(Found::Markup(Markup::Nothing(close), true));
                }
            }
            let inline = known(INLINE);
            if inline || known(BREAKING) {
                // Text in its attributes (`<img alt="…">`): the first
                // reading's, and only the second reads the tag as drawing
                // nothing (`Aur<b title="x">elle` shows `Aurelle`).
                let shown = closing == 0 && shows_text(after.as_bytes());
                let tag_end = at + end + 1;
                return Some(if shown && !every_tag {
                    let attributes = at + 1 + name_len;
                    Found::Markup(Markup::Shown(attributes..at + end, tag_end), false)
                } else if inline {
                    Found::Markup(Markup::Nothing(tag_end), shown)
                } else {
                    Found::Markup(Markup::Break(tag_end), shown)
                });
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
/// `>`) hide its content from a buyer: `hidden`, or a `style` with
/// `display:none`, `visibility:hidden`, `font-size:0` or `opacity:0`.
fn hides_content(attributes: &[u8]) -> bool {
    self::attributes(attributes).any(|(name, value)| {
        if name.eq_ignore_ascii_case(b"hidden") {
            return true;
        }
        if !name.eq_ignore_ascii_case(b"style") {
            return false;
        }
        let style: Vec<u8> = attributes[value]
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase)
            .collect();
        let has = |needle: &[u8]| memchr::memmem::find(&style, needle).is_some();
        // A zero not followed by more of a number (`font-size:0.9em` shows).
        let zero = |property: &[u8]| {
            memchr::memmem::find_iter(&style, property).any(|at| {
                let rest = &style[at + property.len()..];
                rest.starts_with(b"0")
                    && !rest
                        .get(1)
                        .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
            })
        };
        has(b"display:none")
            || has(b"visibility:hidden")
            || zero(b"font-size:")
            || zero(b"opacity:")
    })
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
    let named_at = |at: usize| {
        let after = &bytes[at..];
        after.len() >= name.len()
            && after[..name.len()].eq_ignore_ascii_case(name)
            && after
                .get(name.len())
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>'))
    };
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
    let mut unclosed = usize::MAX;
    // No tag begins past the last `>`: a text of many `<` and none after
    // is not searched for an end from each (looked up at the first `<`).
    let last_end = std::cell::OnceCell::new();
    while let Some(at) = memchr::memchr2(b'<', b'&', &bytes[from..]).map(|p| from + p) {
        from = at + 1;
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
        let rendered = out.get_or_insert_with(|| Rendered {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len()),
            len: text.len(),
        });
        // The text before, as it is.
        rendered.text.push_str(&text[copied..at]);
        rendered
            .origin
            .extend((copied..at).map(|i| (offset(i), offset(i + 1))));
        let end = match markup {
            Markup::Nothing(end) => end,
            Markup::Break(end) => {
                rendered.text.push(' ');
                rendered.origin.push((offset(at), offset(end)));
                end
            }
            Markup::Text(named, end) => {
                rendered.text.push_str(&named);
                rendered
                    .origin
                    .extend(std::iter::repeat_n((offset(at), offset(end)), named.len()));
                end
            }
            Markup::Shown(tag, end) => {
                rendered.text.push(' ');
                rendered.origin.push((offset(at), offset(end)));
                for (name, value) in attributes(&bytes[tag.clone()]) {
                    if !value.is_empty() && is_shown(name) {
                        let value = tag.start + value.start..tag.start + value.end;
                        push_value(rendered, text, value);
                        rendered.text.push(' ');
                        rendered.origin.push((offset(at), offset(end)));
                    }
                }
                end
            }
        };
        copied = end;
        from = end;
    }
    let Some(mut rendered) = out else {
        return (None, unknown);
    };
    rendered.text.push_str(&text[copied..]);
    rendered
        .origin
        .extend((copied..text.len()).map(|i| (offset(i), offset(i + 1))));
    (Some(rendered), unknown)
}

/// An attribute's value, bytes `value` of `text`, as a browser reads it:
/// its character references are their characters, but for a name
/// without its `;` followed by a letter, a digit or `=`, which an
/// attribute keeps as written (`?a=1&copy=2`).
fn push_value(rendered: &mut Rendered, text: &str, value: Range<usize>) {
    let mut copied = value.start;
    let mut from = value.start;
    while let Some(at) = memchr::memchr(b'&', &text.as_bytes()[from..value.end]).map(|p| from + p) {
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
        if kept {
            continue;
        }
        rendered.text.push_str(&text[copied..at]);
        rendered
            .origin
            .extend((copied..at).map(|i| (offset(i), offset(i + 1))));
        rendered.text.push_str(&drawn);
        rendered.origin.extend(std::iter::repeat_n(
            (offset(at), offset(at + len)),
            drawn.len(),
        ));
        copied = at + len;
        from = at + len;
    }
    rendered.text.push_str(&text[copied..value.end]);
    rendered
        .origin
        .extend((copied..value.end).map(|i| (offset(i), offset(i + 1))));
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
                    Just("<!x>".to_owned()),
                    Just("<span hidden>".to_owned()),
                    Just("</span>".to_owned()),
                    Just("<script>".to_owned()),
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
            for rendered in [render(&text), render_every_tag(&text)].into_iter().flatten() {
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
        assert_eq!(shown("Aur<span title=\"<x>\"></span>elle"), "Aur <x> elle");
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
            every("Aur<b>el</b>le &amp; <b/x>").as_deref(),
            Some("Aurelle & ")
        );
        // Nothing a first reading does not read: no second one.
        for text in ["Aur<b></b>elle", "plain", "a < b", "size <10cm"] {
            assert_eq!(every(text), None, "{text}");
        }
    }

    #[test]
    fn element_lists_are_in_order_and_short() {
        for list in [INLINE, BREAKING] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
            assert!(
                list.iter()
                    .all(|e| e.len() <= 16 && *e == e.to_ascii_lowercase())
            );
        }
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
            "<b/x>",
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
            ("Aur<SCRIPT>var a='</b>';</SCRIPT >elle", "Aurelle"),
            ("<style>p{}</style>Aurelle", "Aurelle"),
            ("<title>case for</title> Aurelle", " Aurelle"),
            ("<noscript>x", ""),
        ] {
            assert_eq!(every(text).as_deref(), Some(seen), "{text}");
        }
        // A closing tag alone hides nothing.
        assert_eq!(every("Aur</script>elle").as_deref(), Some("Aurelle"));
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

    #[test]
    fn text_in_attributes_is_read_in_the_first_reading() {
        for (text, seen) in [
            (
                "<img src=\"a.jpg\" alt=\"Aurelle watch\">",
                " Aurelle watch ",
            ),
            (
                "Buy <img alt='Aur&eacute;lle' title=gift>now",
                "Buy  Aurélle gift now",
            ),
            ("<b title=\"x\">Aur</b>elle", " x Aurelle"),
            ("<span aria-label=\"Lumo\"></span>", " Lumo "),
            ("<br placeholder=\"Lumo\" class=\"Aurelle\">", " Lumo "),
            // An attribute keeps a name without its `;` before a letter, a
            // digit or `=`.
            (
                "<img alt=\"a&copy=2 &copyx &copy; &copy\">",
                " a&copy=2 &copyx © © ",
            ),
            // Without a value, or on an end tag, no text.
            ("<img alt>x</b title=\"Lumo\">", " x"),
        ] {
            assert_eq!(shown(text), seen, "{text}");
        }
        // The second reading is made, and draws the tag as nothing.
        let every = |text: &str| render_every_tag(text).map(|r| r.text);
        assert_eq!(
            every("Aur<b title=\"x\">elle</b>").as_deref(),
            Some("Aurelle")
        );
        assert_eq!(every("<img alt=x>Aurelle").as_deref(), Some(" Aurelle"));
        assert_eq!(every("<img src=x>Aurelle"), None);
        // Spans map to the value as sent.
        let text = "Buy <img alt='Aur&eacute;lle' title=gift>now";
        let rendered = render(text).expect("markup");
        let at = rendered.text.find("Aurélle").expect("the name");
        let span = rendered.original_span(at..at + "Aurélle".len());
        assert_eq!(&text[span], "Aur&eacute;lle");
        let at = rendered.text.find("gift").expect("the title");
        assert_eq!(&text[rendered.original_span(at..at + 4)], "gift");
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

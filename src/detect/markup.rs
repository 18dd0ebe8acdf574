//! HTML in a listing's text, read as a buyer sees it.
//!
//! Platforms keep descriptions (and now and then titles) as HTML, and a
//! buyer reads them rendered: `Aur<b></b>elle` and `Aur&#101;lle` show
//! `Aurelle`, and `compatible with&nbsp;Orvanta` shows a space where the
//! raw text has the word `nbsp`. [`render`] gives the text a buyer sees,
//! with a map back to the bytes sent, so that the scan reads the rendered
//! text and every span it reports is still a span of the original:
//! - a character reference (`&amp;`, `&nbsp;`, `&#101;`, `&#x65;`, ended by
//!   `;`) is the character it names (html-escape's table of HTML's named
//!   references);
//! - a tag of an HTML element (`<b>`, `</span>`, `<p class="x">`, `<br/>`)
//!   and a comment (`<!-- … -->`) draw nothing: a comment and the tag of an
//!   element that flows inside a line (`b`, `i`, `span`, `font`, `a`…) are
//!   removed, any other tag (`p`, `br`, `li`, `div`, `td`, `img`…) ends a
//!   word, as a line break does. Only HTML's own element names are tags: `<Aurelle>` or
//!   `<3` is text, so no one hides a name by wrapping it in brackets.
//!
//! Most texts have neither `<` nor `&`; those that have them but no markup
//! are read as sent, without a copy.

use std::ops::Range;

/// Elements whose tags flow inside a line: removed, joining what is on
/// either side (`Aur<b>elle</b>`). Lower case.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "time", "tt", "u", "var", "wbr",
];

/// Other elements whose tags end a word (a line, a paragraph, a cell, an
/// image): replaced by a space. Lower case.
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

/// The longest tag read, in bytes (attributes included), and the longest
/// character reference (`&CounterClockwiseContourIntegral;` is 33).
const TAG_MAX: usize = 1024;
const REFERENCE_MAX: usize = 40;

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
}

/// The markup at byte `at` of `text`, if any. `unclosed` is where a
/// comment was found to have no end: none after it has one either (a text
/// of many `<!--` is searched once, not once each).
fn markup_at(text: &str, at: usize, unclosed: &mut usize) -> Option<Markup> {
    let rest = &text[at..];
    if rest.starts_with("&") {
        let end = rest.as_bytes()[..rest.len().min(REFERENCE_MAX)]
            .iter()
            .position(|&b| b == b';')?;
        let reference = &rest[..=end];
        // A name or a number, nothing else (`AT&T; …` is text).
        if !reference[1..end]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'#')
            || end < 2
        {
            return None;
        }
        return match html_escape::decode_html_entities(reference) {
            std::borrow::Cow::Owned(named) => Some(Markup::Text(named, at + end + 1)),
            std::borrow::Cow::Borrowed(_) => None,
        };
    }
    if let Some(comment) = rest.strip_prefix("<!--") {
        if at >= *unclosed {
            return None;
        }
        let Some(end) = comment.find("-->") else {
            *unclosed = at;
            return None;
        };
        return Some(Markup::Nothing(at + 4 + end + 3));
    }
    let bytes = rest.as_bytes();
    let end = 1 + bytes[1..bytes.len().min(TAG_MAX)]
        .iter()
        .position(|&b| b == b'>' || b == b'<')
        .filter(|&e| bytes[1 + e] == b'>')?;
    let inner = &rest[1..end];
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name_len = inner
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let (name, after) = inner.split_at(name_len);
    // The name ends at the tag's end, a space before attributes, or `/>`.
    if name.is_empty()
        || !(after.is_empty() || after.starts_with([' ', '\t', '\n', '\r', '/']))
        || (after.starts_with('/') && after != "/")
    {
        return None;
    }
    let name = name.to_ascii_lowercase();
    if INLINE.contains(&name.as_str()) {
        Some(Markup::Nothing(at + end + 1))
    } else if BREAKING.contains(&name.as_str()) {
        Some(Markup::Break(at + end + 1))
    } else {
        None
    }
}

/// `text` as a buyer sees it, where it has markup ([`Rendered`]); `None`
/// where it has none (most texts), to be read as sent.
#[must_use]
pub fn render(text: &str) -> Option<Rendered> {
    let bytes = text.as_bytes();
    let mut out: Option<Rendered> = None;
    // Bytes of `text` copied up to here.
    let mut copied = 0;
    let mut from = 0;
    let mut unclosed = usize::MAX;
    while let Some(at) = memchr::memchr2(b'<', b'&', &bytes[from..]).map(|p| from + p) {
        from = at + 1;
        let Some(markup) = markup_at(text, at, &mut unclosed) else {
            continue;
        };
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
        };
        copied = end;
        from = end;
    }
    let mut rendered = out?;
    rendered.text.push_str(&text[copied..]);
    rendered
        .origin
        .extend((copied..text.len()).map(|i| (offset(i), offset(i + 1))));
    Some(rendered)
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
        /// Any text renders without a panic, and every span of the
        /// rendered text on its character boundaries maps to one on the
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
                    Just("<".to_owned()),
                    Just("&".to_owned()),
                    "\\PC{0,4}",
                ],
                0..12,
            ),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 2),
        ) {
            let text = parts.concat();
            let Some(rendered) = render(&text) else {
                return Ok(());
            };
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
        let rendered = render(&format!("{text}<b>x")).expect("a tag at the end");
        assert_eq!(rendered.text, format!("{text}x"));
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

//! Behaviour of the whole module, one test per rule of DESIGN.md
//! "Listing check semantics", plus property tests.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::normalize::{FoldedText, Level, fold_exact, fold_obfuscated};
use super::*;

const CARTIER: u32 = 1;
const MONTBLANC: u32 = 2;
const CHLOE: u32 = 3;
const LOUIS_VUITTON: u32 = 4;
const DIOR: u32 = 5;
const GUCCI: u32 = 6;
const APPLE: u32 = 7;
const CASIO: u32 = 8;
const VAN_CLEEF: u32 = 9;
const BA1LY: u32 = 10;
const FOREVER21: u32 = 11;
const FIVES: u32 = 12;

fn entry(id: u32, names: &[&str], logos: &[u64]) -> BrandEntry {
    BrandEntry {
        id,
        names: names.iter().map(|&n| n.to_owned()).collect(),
        logos: logos.to_vec(),
        owner: 0,
        registered: 0,
    }
}

static INDEX: LazyLock<BrandIndex> = LazyLock::new(|| {
    BrandIndex::build([
        entry(CARTIER, &["Cartier", "卡地亚"], &[0xF0F0_F0F0_F0F0_F0F0]),
        entry(MONTBLANC, &["Montblanc", "万宝龙"], &[]),
        entry(CHLOE, &["Chloé"], &[]),
        entry(
            LOUIS_VUITTON,
            &["Louis Vuitton", "LV", "路易威登", "路易 威登"],
            &[0x0123_4567_89AB_CDEF],
        ),
        entry(DIOR, &["Dior"], &[]),
        entry(GUCCI, &["Gucci", "グッチ"], &[]),
        entry(APPLE, &["Apple", "iPhone"], &[]),
        entry(CASIO, &["G-Shock"], &[]),
        entry(VAN_CLEEF, &["Van Cleef & Arpels"], &[]),
        entry(BA1LY, &["Ba1ly"], &[]),
        entry(FOREVER21, &["Forever21"], &[]),
        entry(FIVES, &["555"], &[]),
    ])
    .expect("test index builds")
});

fn scan(text: &str) -> Vec<TextMatch> {
    scan_with(&INDEX, text)
}

fn scan_with(index: &BrandIndex, text: &str) -> Vec<TextMatch> {
    let mut out = Vec::new();
    index.scan_text(text, &mut out);
    out
}

/// (brand, evidence, surface form) of every match.
fn found(text: &str) -> Vec<(u32, Evidence, &str)> {
    scan(text)
        .into_iter()
        .map(|m| (m.brand, m.evidence, &text[m.span]))
        .collect()
}

fn one(text: &str) -> (u32, Evidence, &str) {
    let all = found(text);
    assert_eq!(all.len(), 1, "expected one match in {text:?}, got {all:?}");
    all[0]
}

// --- normalization -----------------------------------------------------------

#[test]
fn exact_fold_is_nfkc_case_folded_without_diacritics() {
    assert_eq!(fold_exact("Chloé"), "chloe");
    assert_eq!(fold_exact("CHLOE"), "chloe");
    assert_eq!(fold_exact("Chloe\u{301}"), "chloe", "combining acute");
    assert_eq!(fold_exact("Ｃａｒｔｉｅｒ"), "cartier", "full-width");
    assert_eq!(
        fold_exact("STRASSE Straße"),
        "strasse strasse",
        "full case folding"
    );
    assert_eq!(
        fold_exact("  G--Shock!! "),
        "g shock",
        "separator runs collapse"
    );
    assert_eq!(fold_exact("卡地亚手表"), "卡地亚手表");
}

#[test]
fn obfuscation_fold_maps_confusables_invisibles_and_leetspeak() {
    assert_eq!(
        fold_obfuscated("Cаrtier"),
        fold_obfuscated("Cartier"),
        "Cyrillic а"
    );
    assert_eq!(
        fold_obfuscated("Car\u{200B}tier"),
        fold_obfuscated("Cartier"),
        "zero-width space"
    );
    assert_eq!(
        fold_obfuscated("Car\u{AD}t\u{200D}ier\u{FEFF}"),
        fold_obfuscated("Cartier"),
        "soft hyphen, ZWJ, BOM"
    );
    assert_eq!(
        fold_obfuscated("Car\u{81}ti\u{8D}er"),
        fold_obfuscated("Cartier"),
        "C1 controls Windows-1252 leaves undefined"
    );
    // Others are Windows-1252's characters, as mis-decoded text shows them.
    assert_eq!(fold_exact("Cartier\u{92}s"), fold_exact("Cartier’s"));
    assert_eq!(fold_exact("Cartier\u{97}gold"), fold_exact("Cartier—gold"));
    assert_eq!(
        fold_obfuscated("Car\u{202E}t\u{202C}ier"),
        fold_obfuscated("Cartier"),
        "bidi override around a letter, which it shows as it is"
    );
    assert_eq!(fold_obfuscated("C4rt13r"), fold_obfuscated("Cartier"));
    assert_eq!(fold_obfuscated("M0ntbl@nc"), fold_obfuscated("Montblanc"));
    assert_eq!(
        fold_obfuscated("$w@tch"),
        fold_obfuscated("$watch"),
        "$ and @ are letters only inside words"
    );
    assert_eq!(fold_obfuscated("C.a.r.t.i.e.r"), fold_obfuscated("Cartier"));
    assert_eq!(fold_obfuscated("C a r t i e r"), fold_obfuscated("Cartier"));
    // The exact fold keeps them apart.
    assert_ne!(fold_exact("Cаrtier"), fold_exact("Cartier"));
    assert_ne!(fold_exact("C4rtier"), fold_exact("Cartier"));
}

#[test]
fn folded_bytes_map_back_to_original_spans() {
    let text = "Ｘ Chloe\u{301}!";
    let mut f = FoldedText::new();
    f.fold(text, Level::Exact);
    assert_eq!(f.as_str(), "x chloe");
    let at = f.as_str().find("chloe").expect("folded");
    let span = f.original_span(at..at + 5);
    assert_eq!(
        &text[span.clone()],
        "Chloe\u{301}",
        "the combining mark belongs to the span"
    );
    assert_eq!(f.folded_range(span), at..at + 5);
    assert_eq!(&text[f.original_span(0..1)], "Ｘ");
}

// --- exact and obfuscated text matches ------------------------------------

#[test]
fn exact_match_ignores_case_width_and_diacritics() {
    assert_eq!(one("CHLOE bag"), (CHLOE, Evidence::TextExact, "CHLOE"));
    assert_eq!(one("chloé bag"), (CHLOE, Evidence::TextExact, "chloé"));
    assert_eq!(
        one("Ｃａｒｔｉｅｒ watch"),
        (CARTIER, Evidence::TextExact, "Ｃａｒｔｉｅｒ")
    );
    assert_eq!(
        one("new louis  vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextExact, "louis  vuitton")
    );
    assert_eq!(
        one("Casio G Shock"),
        (CASIO, Evidence::TextExact, "G Shock")
    );
    assert_eq!(
        one("VAN CLEEF AND ARPELS? no: Van-Cleef & Arpels"),
        (VAN_CLEEF, Evidence::TextExact, "Van-Cleef & Arpels")
    );
}

#[test]
fn cjk_aliases_match_inside_cjk_text() {
    assert_eq!(
        one("正品卡地亚手表"),
        (CARTIER, Evidence::TextExact, "卡地亚")
    );
    assert_eq!(
        one("全新万宝龙钢笔"),
        (MONTBLANC, Evidence::TextExact, "万宝龙")
    );
    assert_eq!(
        one("ｸﾞｯﾁ バッグ"),
        (GUCCI, Evidence::TextExact, "ｸﾞｯﾁ"),
        "half-width katakana"
    );
    assert_eq!(
        one("LV包包"),
        (LOUIS_VUITTON, Evidence::TextExact, "LV"),
        "Latin next to CJK is a boundary"
    );
}

#[test]
fn obfuscation_is_reported_with_the_surface_span() {
    assert_eq!(
        one("Cаrtier ring"),
        (CARTIER, Evidence::TextObfuscated, "Cаrtier")
    );
    assert_eq!(
        one("Car\u{200B}tier ring"),
        (CARTIER, Evidence::TextObfuscated, "Car\u{200B}tier")
    );
    assert_eq!(
        one("C4rtier ring"),
        (CARTIER, Evidence::TextObfuscated, "C4rtier")
    );
    assert_eq!(
        one("M0ntblanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "M0ntblanc")
    );
    assert_eq!(
        one("C.a.r.t.i.e.r ring"),
        (CARTIER, Evidence::TextObfuscated, "C.a.r.t.i.e.r")
    );
    assert_eq!(
        one("the C a r t i e r ring"),
        (CARTIER, Evidence::TextObfuscated, "C a r t i e r")
    );
    assert_eq!(
        one("buy a C.a.r.t.i.e.r"),
        (CARTIER, Evidence::TextObfuscated, "C.a.r.t.i.e.r")
    );
    assert_eq!(
        one("LouisVuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "LouisVuitton")
    );
    assert_eq!(
        one("C@rtier"),
        (CARTIER, Evidence::TextObfuscated, "C@rtier")
    );
    assert_eq!(
        one("Mont Blanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Mont Blanc"),
        "separators added"
    );
}

#[test]
fn whole_adjacent_words_join_into_a_name() {
    assert_eq!(
        one("Di or saddle bag"),
        (DIOR, Evidence::TextObfuscated, "Di or"),
        "a 4-letter name: no fuzzy matching needed"
    );
    assert_eq!(
        one("Lou is Vu itton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Lou is Vu itton"),
        "four words into a two-word name"
    );
    assert_eq!(
        one("Louis Vuit ton"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis Vuit ton")
    );
    assert_eq!(
        one("G Shock watch"),
        (CASIO, Evidence::TextExact, "G Shock")
    );
    assert!(found("Dio rama kit").is_empty(), "ends inside a word");
    assert!(found("Indi or").is_empty(), "starts inside a word");
    assert!(found("Di orama").is_empty(), "ends inside a word");
}

#[test]
fn abbreviation_signs_beside_a_name_are_separators() {
    // NFKC turns `™` into the letters `TM`, which would glue onto the name.
    assert_eq!(
        one("Cartier™ Santos watch"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(one("Cartier℠").1, Evidence::TextExact);
    assert_eq!(fold_exact("Dior™ №5 5㎏"), "dior 5 5");
    assert_eq!(INDEX.declared_brand("Cartier™"), Some(CARTIER));
    // Symbols that stand for one letter stay letters.
    assert_eq!(one("Ⓒartier ring").1, Evidence::TextExact);
}

#[test]
fn invisible_characters_written_for_spaces_still_end_words() {
    // Hangul fillers draw as a blank: a buyer reads these as spaces.
    assert_eq!(
        one("Genuine\u{3164}Cartier\u{3164}automatic\u{3164}watch"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(
        one("Men's\u{FFA0}watch\u{115F}Louis\u{1160}Vuitton\u{3164}style").0,
        LOUIS_VUITTON
    );
    assert_eq!(one("Genuine\u{200B}Dior\u{200B}perfume").0, DIOR);
    // So do bidi controls, which a reordering fold drops.
    assert_eq!(one("Genuine\u{2066}Dior\u{2069}perfume").0, DIOR);
    // Invisible characters that sit inside a word as shown leave none:
    // `Can\u{AD}dior` shows `Candior`.
    for text in ["Can\u{AD}dior", "Jaca\u{200C}dior", "Super\u{200D}dior"] {
        assert!(found(text).is_empty(), "{text:?}");
    }
    // Inside a name they are still seen through.
    assert_eq!(
        one("Car\u{3164}tier ring"),
        (CARTIER, Evidence::TextObfuscated, "Car\u{3164}tier")
    );
    assert_eq!(one("Car\u{200B}tier ring").1, Evidence::TextObfuscated);
    // And CJK text joined by them still joins.
    assert_eq!(one("正品路\u{200B}易威登包").0, LOUIS_VUITTON);
    // Fuzzy matching, the second readings and numbers read words ended by
    // them too (they had read `Vuitonㅤbag` as one word).
    assert_eq!(
        one("Louis Vuiton\u{3164}bag"),
        (
            LOUIS_VUITTON,
            Evidence::TextFuzzy { distance: 1 },
            "Louis Vuiton"
        )
    );
    for text in [
        "ring\u{3164}Cartiier",
        // Shown in another order, as written.
        "\u{202E}gnir\u{3164}reiitraC\u{202C}",
        // A zero-width space or a bidi control draws nothing: the word
        // goes on (a misspelt name with one inside is still one word).
        "Cart\u{200B}iier ring",
        "Cart\u{2066}\u{2069}iier ring",
    ] {
        assert_eq!(one(text).1, Evidence::TextFuzzy { distance: 1 }, "{text:?}");
    }
    assert_eq!(
        one("СΑЯ\u{200B}ТІЕЯ ring"),
        (CARTIER, Evidence::TextObfuscated, "СΑЯ\u{200B}ТІЕЯ")
    );
    assert_eq!(
        one("Di|or\u{3164}perfume"),
        (DIOR, Evidence::TextObfuscated, "Di|or")
    );
    assert_eq!(
        one("bag\u{200B}|ouis\u{3164}Vuitton"),
        (
            LOUIS_VUITTON,
            Evidence::TextObfuscated,
            "|ouis\u{3164}Vuitton"
        )
    );
    assert_eq!(fold_obfuscated("Marvel\u{3164}10 oz"), "rnarvel10 oz");
    // A leet symbol beside one is at a word's edge, as beside a space:
    // `Di\u{3164}|or` reads as `Di or`, as `Di |or` does.
    for text in ["Di\u{3164}|or", "Di|\u{3164}or", "Di\u{3164}||or", "Di |or"] {
        assert_eq!(
            one(text),
            (DIOR, Evidence::TextObfuscated, text),
            "{text:?}"
        );
    }
    assert_eq!(fold_obfuscated("Di\u{3164}|or"), "dl or");
    // Also past what draws nothing after the blank.
    for text in [
        "Di\u{3164}\u{200B}|or",
        "Di\u{3164}\u{301}|or",
        "Di\u{3164}\u{2066}\u{2069}|or",
    ] {
        assert_eq!(one(text).1, Evidence::TextObfuscated, "{text:?}");
    }
}

#[test]
fn a_name_written_backwards_under_a_right_to_left_override_is_read_as_shown() {
    // `\u{202E}reitraC\u{202C}` shows `Cartier`: obfuscation, spanning the
    // letters as written.
    let text = "Luxury ring \u{202E}reitraC\u{202C} gold";
    assert_eq!(one(text), (CARTIER, Evidence::TextObfuscated, "reitraC"));
    // Without the pop, to the end of the text; the words around keep their
    // order, and so does a name outside the run.
    assert_eq!(one("ring \u{202E}reitraC").2, "reitraC");
    assert_eq!(one("Dior \u{202E}gnir\u{202C} set").0, DIOR);
    assert_eq!(
        fold_obfuscated("ab \u{202E}dc fe\u{202C} gh"),
        "ab ef cd gh"
    );
    // Letters written forwards under the override show backwards.
    assert!(found("\u{202E}Cartier\u{202C}").is_empty());
    // The Unicode Bidirectional Algorithm decides what is shown: a pop
    // closes what it pops (an isolate, an embedding inside the override),
    // nested overrides reverse as a whole, and a right-to-left embedding
    // shows Latin words in reverse order without reversing their letters.
    for text in [
        "ring \u{202E}\u{2066}\u{2069}reitraC\u{202C} gold",
        "ring \u{202E}\u{202A}\u{202C}reitraC\u{202C} gold",
        "ring \u{202E}re\u{202E}itraC\u{202C}\u{202C} gold",
        "\u{202B}tier\u{200F}Car\u{202C} ring",
        "\u{2067}tier\u{200F}Car\u{2069} ring",
    ] {
        assert_eq!(one(text).0, CARTIER, "{text:?}");
        assert_eq!(one(text).1, Evidence::TextObfuscated, "{text:?}");
    }
    // Letters of a right-to-left script are read in the order written,
    // bidi controls or not.
    let arabic = BrandIndex::build([entry(1, &["كارتييه", "لويس فيتون"], &[])]).expect("index");
    for text in [
        "ساعة كارتييه أصلية",
        "\u{2066}x\u{2069} كارتييه",
        "\u{202B}كارتييه\u{202C} ring",
        "حقيبة \u{2067}لويس فيتون\u{2069}",
    ] {
        assert_eq!(scan_with(&arabic, text).len(), 1, "{text:?}");
    }
}

#[test]
fn superscript_letters_beside_a_name_end_it() {
    // `ᵀᴹ` written for `™`: modifier letters whose compatibility form is
    // `T`, `M`. The name keeps its evidence and span.
    assert_eq!(
        one("Cartierᵀᴹ Santos watch"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(
        one("ᵀᴹCartier Santos"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(one("Diorˢᴹ perfume").1, Evidence::TextExact);
    assert_eq!(
        one("Watch ᴿCartier"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    // A name written wholly in small letters is still one word (NFKC
    // reads them as letters, as it reads full-width ones).
    assert_eq!(
        one("ᶜᵃʳᵗⁱᵉʳ ring"),
        (CARTIER, Evidence::TextExact, "ᶜᵃʳᵗⁱᵉʳ")
    );
    // A small letter inside a word does not split it.
    assert_eq!(
        one("Cartᵢer ring"),
        (CARTIER, Evidence::TextExact, "Cartᵢer")
    );
}

#[test]
fn fancy_text_letters_are_look_alikes() {
    // Small capitals and squared letters, which UTS #39 has no prototype
    // for (decancer's homoglyph table has).
    assert_eq!(
        one("ᴄᴀʀᴛɪᴇʀ ʟᴏᴠᴇ ʀɪɴɢ"),
        (CARTIER, Evidence::TextObfuscated, "ᴄᴀʀᴛɪᴇʀ")
    );
    assert_eq!(one("🅲🅰🆁🆃🅸🅴🆁 ring").1, Evidence::TextObfuscated);
    assert_eq!(one("Cartiɛr ring").1, Evidence::TextObfuscated);
    // Flags are not letters, and other scripts keep their letters in their
    // own words (in a Latin one they are fancy text, below).
    assert_eq!(fold_obfuscated("🇫🇷 Дом"), fold_obfuscated("Дом"));
    assert!(fold_obfuscated("Дом").starts_with('д'));
}

#[test]
fn a_lone_regional_indicator_is_a_letter() {
    // Spaced out, each draws as its letter in a box: a name spelt so.
    assert_eq!(
        one("Brand: 🇨 🇦 🇷 🇹 🇮 🇪 🇷"),
        (CARTIER, Evidence::TextObfuscated, "🇨 🇦 🇷 🇹 🇮 🇪 🇷")
    );
    assert_eq!(fold_obfuscated("🇨 🇦 🇷"), "car");
    // Two side by side are a flag, wherever they stand; the exact fold
    // reads none as a letter.
    for text in ["🇨🇦🇷🇹🇮🇪🇷 ring", "🇺🇸 🇫🇷 🇮🇹", "Ships from 🇺🇸, 🇨🇦"]
    {
        assert!(scan(text).is_empty(), "{text}");
    }
    assert_eq!(fold_obfuscated("🇫🇷 a"), "a");
    assert_eq!(fold_exact("🇨 🇦 🇷"), "");
    // One beside another is read as a flag's, also the third of three.
    assert_eq!(fold_obfuscated("🇺🇸🇨 x"), "x");
}

#[test]
fn letters_of_other_scripts_in_a_latin_word_are_fancy_text() {
    // Greek and Cyrillic letters that fancy-text generators write for Latin
    // ones, with no UTS #39 prototype: read as Latin in a word that has
    // Latin letters.
    assert_eq!(
        one("CΛRTIΞR ring"),
        (CARTIER, Evidence::TextObfuscated, "CΛRTIΞR")
    );
    assert_eq!(one("CAЯTIER ring").0, CARTIER);
    // Read as the obfuscation fold writes the Latin letter (`m` as `rn`),
    // and ahead of a skeleton that reads another (Greek `Ν`, whose lower
    // case is a `v`).
    assert_eq!(
        one("ΜΟΝΤBLANC pen"),
        (MONTBLANC, Evidence::TextObfuscated, "ΜΟΝΤBLANC")
    );
    assert_eq!(one("LOUIS VUITTOΝ bag").0, LOUIS_VUITTON);
    assert_eq!(one("Men's ΛURΞLLΞ DIOR bag").0, DIOR);
    // Words of their own script keep their letters, read or not.
    assert_eq!(fold_obfuscated("ΛΞΛ"), fold_obfuscated("λξλ"));
    assert_ne!(fold_obfuscated("ΛΞΛ"), "aea");
    assert_eq!(
        fold_obfuscated("Картье CΛRT"),
        format!("{} cart", fold_obfuscated("Картье"))
    );
    assert!(!fold_obfuscated("Картье").is_ascii());
}

#[test]
fn a_word_of_greek_or_cyrillic_look_alikes_is_read_as_a_whole_name() {
    // A word that cannot be Greek or Russian text (the two scripts mixed,
    // or a Cyrillic letter Russian does not have: `Ѕ`, `Ӏ`) is read with
    // its look-alike letters as Latin, and counts as a whole name.
    assert_eq!(
        one("СΑЯТІЕЯ ring"),
        (CARTIER, Evidence::TextObfuscated, "СΑЯТІЕЯ")
    );
    let index = BrandIndex::build([
        entry(1, &["Tessaro"], &[]),
        entry(2, &["Kestrel"], &[]),
        entry(3, &["Bata"], &[]),
        entry(4, &["Nero"], &[]),
        entry(5, &["Meta"], &[]),
        entry(6, &["Aurelle"], &[]),
    ])
    .expect("index");
    let strong = |text: &str| -> Vec<u32> {
        scan_with(&index, text)
            .into_iter()
            .filter(|m| m.evidence == Evidence::TextObfuscated)
            .map(|m| m.brand)
            .collect()
    };
    assert_eq!(strong("ТЕЅЅАЯО loafers"), [1], "all Cyrillic, with Ѕ");
    assert_eq!(strong("КЕЅТЯЕӀ jacket"), [2], "Ѕ and the palochka");
    assert_eq!(strong("ΤΞЅЅΛЯΟ loafers"), [1], "Greek and Cyrillic");
    assert_eq!(strong("ΜΕТА glasses"), [5], "Greek ΜΕ, Cyrillic ТА");
    assert_eq!(strong("ᗩᑌᖇᗴᒪᒪᗴ watch"), [6], "Canadian syllabics");
    // Russian and Greek words are left alone, though they read as names:
    // `Вата` (cotton wool), `Лего`, `ΜΕΤΑ` (after).
    for text in [
        "Вата косметическая",
        "Лего конструктор",
        "ΜΕΤΑ το φαγητό",
        "Μετά",
        "ТЕЅЅАЯОЫ",
        "ТЕЅЅАЯ",
        "Яблоко iPhone чехол",
    ] {
        assert!(
            strong(text).is_empty(),
            "{text}: {:?}",
            scan_with(&index, text)
        );
    }
}

#[test]
fn a_number_is_not_leetspeak() {
    assert_eq!(fold_obfuscated("10 oz, 2024, size 5"), "10 oz 2024 slze 5");
    // A word and a number: at most a misspelling (`gucc1`), never `guccl`.
    assert!(
        found("Gucc 1 bag")
            .iter()
            .all(|m| matches!(m.1, Evidence::TextFuzzy { .. })),
        "{:?}",
        found("Gucc 1 bag")
    );
    assert_eq!(one("Gucc1 bag").1, Evidence::TextObfuscated);
    assert_eq!(one("G u c c 1 bag").1, Evidence::TextObfuscated);
    assert_eq!(one("C4rt1er").1, Evidence::TextObfuscated);
}

#[test]
fn names_with_numbers_match_numbers_and_numbers_are_not_letters() {
    let index = BrandIndex::build([
        entry(1, &["5.11"], &[]),
        entry(2, &["Marvello"], &[]),
        entry(3, &["Levi's 501"], &[]),
    ])
    .expect("index");
    let found = |text: &str| {
        scan_with(&index, text)
            .into_iter()
            .map(|m| (m.brand, m.evidence))
            .collect::<Vec<_>>()
    };
    assert_eq!(found("5.11 Tactical pants"), [(1, Evidence::TextExact)]);
    assert_eq!(found("LEVI'S 501 jeans"), [(3, Evidence::TextExact)]);
    assert_eq!(found("Levis 501 jeans"), [(3, Evidence::TextObfuscated)]);
    assert!(found("Marvel 10-Piece Dinnerware Set").is_empty());
    assert_eq!(found("Marve11o mug"), [(2, Evidence::TextObfuscated)]);
    assert_eq!(
        found("Marvelo mug"),
        [(2, Evidence::TextFuzzy { distance: 1 })]
    );
}

#[test]
fn a_cjk_name_is_found_split_into_whole_phrases() {
    let index = BrandIndex::build([entry(1, &["蒙克莱尔"], &[])]).expect("index");
    let found = |text: &str| {
        scan_with(&index, text)
            .into_iter()
            .map(|m| (m.evidence, text[m.span].to_owned()))
            .collect::<Vec<_>>()
    };
    let one = |evidence, shown: &str| vec![(evidence, shown.to_owned())];
    assert_eq!(
        found("蒙克 莱尔 钢笔"),
        one(Evidence::TextObfuscated, "蒙克 莱尔")
    );
    assert_eq!(
        found("正品 蒙克 莱尔"),
        one(Evidence::TextObfuscated, "蒙克 莱尔")
    );
    assert_eq!(found("蒙克莱尔钢笔"), one(Evidence::TextExact, "蒙克莱尔"));
    assert!(found("蒙克 莱尔钢笔").is_empty(), "ends inside a phrase");
    assert!(found("老蒙克 莱尔").is_empty(), "starts inside a phrase");
}

#[test]
fn scripts_without_spaces_end_a_latin_word() {
    assert_eq!(
        one("น้ำหอมChloé 50ml"),
        (CHLOE, Evidence::TextExact, "Chloé")
    );
    assert_eq!(one("ນ້ຳຫອມCartier").1, Evidence::TextExact, "Lao");
    // Thai text with no brand stays clean.
    assert!(found("น้ำหอมผู้หญิง กลิ่นหอมติดทนนาน").is_empty());
}

#[test]
fn a_leet_symbol_between_words_still_ends_a_word() {
    // `|` and `!` glued between words are punctuation as much as letters.
    assert_eq!(
        one("Cartier|Men's Watch|42mm"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(one("NEW!Cartier ring").1, Evidence::TextExact);
    assert_eq!(one("Brand:Dior|Model:J'adore").1, Evidence::TextExact);
    assert_eq!(one("Cart!er ring").1, Evidence::TextObfuscated);
    assert_eq!(
        one("Carti€r ring"),
        (CARTIER, Evidence::TextObfuscated, "Carti€r")
    );
}

#[test]
fn a_leet_symbol_between_words_is_a_short_names_edge_letter_only_beside_four_letters() {
    // Size lists and glued words: `|V` is not the alias `LV`, also where
    // an override shows the text in another order (`XL|V`).
    for text in [
        "Men's T-shirt XL|V-neck",
        "S|L|V|XL",
        "Shirt S|M|L|V neck",
        "\u{202E}V|LX",
    ] {
        assert!(found(text).is_empty(), "{text}");
    }
    let index = BrandIndex::build([
        entry(1, &["Dell"], &[]),
        entry(2, &["Lee"], &[]),
        entry(3, &["Anne Klein"], &[]),
        entry(4, &["Levi's"], &[]),
        entry(5, &["Aerie"], &[]),
    ])
    .expect("index builds");
    let brands = |text: &str| -> Vec<(u32, Evidence)> {
        scan_with(&index, text)
            .into_iter()
            .map(|m| (m.brand, m.evidence))
            .collect()
    };
    // A name's last letter (`Del|`) or first (`|ee`) of three letters.
    for text in ["Del|Monte peaches", "Xtra|ee jeans", "Del!Monte", "Mini+ee"] {
        assert!(brands(text).is_empty(), "{text}");
    }
    // Four letters besides the symbol; the symbol inside a name; the
    // name as written beside the symbol.
    assert_eq!(brands("Pure@nne Klein"), [(3, Evidence::TextObfuscated)]);
    assert_eq!(
        one("Nice|ouis Vuitton"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "|ouis Vuitton")
    );
    assert_eq!(
        one("L|V bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "L|V")
    );
    assert_eq!(brands("Dell|Monte"), [(1, Evidence::TextExact)]);
    assert_eq!(brands("Mini|Lee"), [(2, Evidence::TextExact)]);
    // Digits written for letters count as letters.
    assert_eq!(brands("Denim|3vi's jeans"), [(4, Evidence::TextObfuscated)]);
    assert_eq!(brands("Denim|3v1s jeans"), [(4, Evidence::TextObfuscated)]);
    // An `@` between a word and a domain is an email address's; not
    // before a word that is not one.
    for text in [
        "Contact: info@erie-outdoor.com",
        "mail shop@erie.co.uk today",
        "anne@klein.com.",
    ] {
        assert!(
            brands(text)
                .iter()
                .all(|&(_, e)| e != Evidence::TextObfuscated),
            "{text}"
        );
    }
    assert_eq!(brands("Jeans@erie"), [(5, Evidence::TextObfuscated)]);
    assert_eq!(brands("Anne@Klein watch"), [(3, Evidence::TextObfuscated)]);
}

#[test]
fn a_leet_symbol_at_a_names_edge_or_as_a_separator_inside_it_is_read_both_ways() {
    // For the first letter (`@`, `|`, `$`), or the last (`@`), of a word of
    // at least four letters besides.
    assert_eq!(
        one("@pple watch"),
        (APPLE, Evidence::TextObfuscated, "@pple")
    );
    assert_eq!(
        one("|Phone case"),
        (APPLE, Evidence::TextObfuscated, "|Phone")
    );
    // The word read may be part of a name of several words, with the
    // words next to it.
    assert_eq!(
        one("|ouis Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "|ouis Vuitton")
    );
    assert_eq!(
        one("Van Cleef & @rpels ring"),
        (VAN_CLEEF, Evidence::TextObfuscated, "Van Cleef & @rpels")
    );
    assert_eq!(
        one("new Louis Vuit|ton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis Vuit|ton")
    );
    // As a separator inside a word: the other reading drops it, also
    // between the words of a name.
    assert_eq!(
        one("Cart|ier ring"),
        (CARTIER, Evidence::TextObfuscated, "Cart|ier")
    );
    assert_eq!(
        one("Mont+blanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Mont+blanc")
    );
    assert_eq!(
        one("Louis|Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis|Vuitton")
    );
    assert_eq!(one("Ca@rtier ring").1, Evidence::TextObfuscated);
    // A word read ends where superscripts begin, as at a space; not at
    // another symbol (honest lists, `Black|Off|White|Navy`), nor between
    // the single letters the fold joined.
    assert_eq!(
        one("Di|orᵀᴹ bag"),
        (DIOR, Evidence::TextObfuscated, "Di|or")
    );
    assert_eq!(
        one("L o u i s V u i t|t o n bag"),
        (
            LOUIS_VUITTON,
            Evidence::TextObfuscated,
            "L o u i s V u i t|t o n"
        )
    );
    // A word with several symbols inside is also read with all of them
    // dropped, where a name then takes in the whole word; an honest list
    // is no name (`Black|Off|White|Navy`, `Red|Louis|Vuitton|Blue` below).
    assert_eq!(
        one("Louis|Vuit|ton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis|Vuit|ton")
    );
    assert_eq!(one("Van+Cleef+Arpels ring").1, Evidence::TextObfuscated);
    assert_eq!(
        one("Lou||is|Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Lou||is|Vuitton")
    );
    // A symbol of another kind may be a letter (`!` for the `i`).
    assert_eq!(
        one("Lou!s|Vuit|ton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Lou!s|Vuit|ton")
    );
    // A name of several words: its own letters count, not a blank's.
    assert_eq!(one("|ouis\u{3164}Vuitton").1, Evidence::TextObfuscated);
    let amen = BrandIndex::build([entry(1, &["Amen"], &[])]).expect("index");
    for text in ["@men", "@m\u{3164}en", "@m\u{200B}en"] {
        assert!(found_in(&amen, text).is_empty(), "{text:?}");
    }
    assert_eq!(
        one("C@rt|ier ring"),
        (CARTIER, Evidence::TextObfuscated, "C@rt|ier")
    );
    // A run of symbols inside a word is dropped whole.
    assert_eq!(
        one("Di||or bag"),
        (DIOR, Evidence::TextObfuscated, "Di||or")
    );
    assert_eq!(
        one("Di@$or bag"),
        (DIOR, Evidence::TextObfuscated, "Di@$or")
    );
    // A mark or joiner drawn with the letter before the symbol.
    assert_eq!(
        one("Cart\u{301}|ier ring"),
        (CARTIER, Evidence::TextObfuscated, "Cart\u{301}|ier")
    );
    assert_eq!(one("Mont\u{200D}+blanc pen").1, Evidence::TextObfuscated);
    // So is what draws nothing between the symbol and the word.
    assert_eq!(
        one("Di\u{200B}|or bag"),
        (DIOR, Evidence::TextObfuscated, "Di\u{200B}|or")
    );
    assert_eq!(one("Di|\u{2060}or bag").1, Evidence::TextObfuscated);
    assert_eq!(
        one("Car\u{85}tier ring"),
        (CARTIER, Evidence::TextObfuscated, "Car\u{85}tier")
    );
    // A C1 control of Windows-1252's punctuation separates words as it.
    assert_eq!(
        one("Cartier\u{85}automatic watch"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );

    assert_eq!(
        one("@\u{FEFF}pple watch"),
        (APPLE, Evidence::TextObfuscated, "@\u{FEFF}pple")
    );
    // CJK ends a Latin word as a space does.
    assert_eq!(one("手表@pple").1, Evidence::TextObfuscated);
    assert_eq!(
        one("Cart|ier手表"),
        (CARTIER, Evidence::TextObfuscated, "Cart|ier")
    );
    // Only a whole word that is then a name: a handle, a price, a currency,
    // a separator glued to a word, a short word, an exclamation, a word
    // that only contains a name, a word run into CJK are left alone.
    for text in [
        "@artier ring",
        "@home decor",
        "$99 only",
        "HK$ 99",
        "Gucci!",
        "Dior@",
        "|Dio bag",
        "|v bag",
        "@ior bag",
        "Gucc| bag",
        "shop@dior.example",
        "Cart|iers ring",
        "x@ior ring",
        "Dio |",
        "10+12 Dior",
        "Dior Lu|mo",
        "Louis Vu|itton|s bag",
        "Red|Louis|Vuitton|Blue",
        "@pple|Pie",
        "Louis Vuitton|s bag",
        "Di||ors bag",
        "|ouis Vuittons",
    ] {
        let all = found(text);
        assert!(
            all.iter().all(|&(_, e, _)| e != Evidence::TextObfuscated),
            "{text}: {all:?}"
        );
    }
    // `|` stands for `l` or `i`; the name's other letters as written still
    // count (`i` written for the `l` of `Chloé` is a misspelling).
    let chio = found("Chio|e bag");
    assert!(
        chio.iter().all(|&(_, e, _)| e != Evidence::TextObfuscated),
        "{chio:?}"
    );
}

#[test]
fn symbols_outside_ascii_are_read_both_ways_too() {
    // Dropped inside a word (the fold read them as letters), also a run of
    // them, and as one kind among others.
    assert_eq!(
        one("Louis£Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis£Vuitton")
    );
    assert_eq!(
        one("Louis€Vuit€ton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Louis€Vuit€ton")
    );
    assert_eq!(
        one("Di¥©or bag"),
        (DIOR, Evidence::TextObfuscated, "Di¥©or")
    );
    assert_eq!(
        one("Lou!s€Vuit€ton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Lou!s€Vuit€ton")
    );
    // `¢` and `©` for a word's first letter, as `@`, `|` and `$` are.
    assert_eq!(one("©hloé bag"), (CHLOE, Evidence::TextObfuscated, "©hloé"));
    // Not the currencies before a word, nor anything after one; lists stay
    // lists.
    // Before a capital, `©` is a copyright notice (`©Hloé Studio` is no
    // `Chloé`).
    for text in [
        "£ouis Vuitton",
        "©Hloé Studio",
        "Art print (©Hloé) 2024",
        "Dio€ bag",
        "Red€Louis€Vuitton€Blue",
        "50¢ Dior",
    ] {
        let all = found(text);
        assert!(
            all.iter().all(|&(_, e, _)| e != Evidence::TextObfuscated),
            "{text}: {all:?}"
        );
    }
    assert_eq!(one("©Gucci 2024"), (GUCCI, Evidence::TextExact, "Gucci"));
}

#[test]
fn second_readings_read_a_text_shown_in_another_order_as_shown() {
    // A bidi control anywhere makes the fold read the text as shown; the
    // second readings do too (they had been skipped: an isolate pair was
    // enough to hide `Di|or`), with spans of the characters as written.
    assert_eq!(
        one("\u{2066}\u{2069}Di|or bag"),
        (DIOR, Evidence::TextObfuscated, "Di|or")
    );
    assert_eq!(
        one("bag \u{2067}\u{2069}@pple"),
        (APPLE, Evidence::TextObfuscated, "@pple")
    );
    // An override shows `roi|D` as `D|ior`.
    assert_eq!(
        one("bag \u{202E}roi|D\u{202C} new"),
        (DIOR, Evidence::TextObfuscated, "roi|D")
    );
    assert_eq!(
        one("\u{2066}СΑЯТІЕЯ\u{2069} ring"),
        (CARTIER, Evidence::TextObfuscated, "СΑЯТІЕЯ")
    );
    for text in ["\u{2066}@home\u{2069} decor", "\u{202E}99$\u{202C} only"] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
}

#[test]
fn leet_symbols_may_come_in_a_row() {
    assert_eq!(
        fold_obfuscated("Te$$aro Ve!!ano Marve||o"),
        "tessaro vellano rnarvello"
    );
    assert_eq!(fold_obfuscated("Wow!! Great $$ deal"), "wow great deal");
    // Bars drawn as `|` is.
    for bars in ["Aure¦¦e", "Aure││e", "Aure┃┃e", "Aure⏐⏐e", "Aure∣∣e"] {
        assert_eq!(fold_obfuscated(bars), "aurelle", "{bars}");
    }
    // A double bar is the letter twice (UTS #39 reads `‖` and `∥` as `ll`),
    // a separator between words.
    for bars in ["Aure‖e", "Aure∥e", "Aure║e"] {
        assert_eq!(fold_obfuscated(bars), "aurelle", "{bars}");
    }
    assert_eq!(fold_obfuscated("Marve‖o"), "rnarvello");
    assert_eq!(fold_obfuscated("Men ‖ Women ∥ Kids"), "rnen wornen klds");
    assert_eq!(
        one("Montb‖anc pen").1,
        Evidence::TextFuzzy { distance: 1 },
        "one letter too many is a misspelling"
    );
    assert_eq!(fold_obfuscated("Men ¦ Women │ Kids"), "rnen wornen klds");
    // `+` for `t` inside a word; a separator elsewhere.
    assert_eq!(
        one("Car+ier ring"),
        (CARTIER, Evidence::TextObfuscated, "Car+ier")
    );
    assert_eq!(
        fold_obfuscated("Men+Women 2+ pack +Dior"),
        "rnentwornen 2 pack dlor"
    );
    // Between numbers it is arithmetic: they keep their digits.
    assert_eq!(fold_obfuscated("10+12, 2+1"), fold_obfuscated("10 12, 2 1"));
}

#[test]
fn turned_letters_of_upside_down_text_are_look_alikes() {
    // Unicode's TURNED letters read as the letters they are turned from.
    assert_eq!(fold_obfuscated("ɐuɹǝllǝ"), fold_obfuscated("aurelle"));
    assert_eq!(
        fold_obfuscated("ƎɐꞀ ʎʇʍ ʌᴉʞɥ"),
        fold_obfuscated("eal ytw vikh")
    );
    // The open `ɔ` these texts write for `c` is a look-alike already.
    assert_eq!(
        one("ɔɐɹʇᴉǝɹ ring"),
        (CARTIER, Evidence::TextObfuscated, "ɔɐɹʇᴉǝɹ")
    );
    // A name still starts and ends on a word's edges.
    assert!(found("Cɐɹʇᴉǝɹville").is_empty());
    assert_eq!(
        one("Cɐɹʇᴉǝɹ ring"),
        (CARTIER, Evidence::TextObfuscated, "Cɐɹʇᴉǝɹ")
    );
}

#[test]
fn upside_down_text_is_also_read_backwards() {
    // Flip-text generators turn each letter and reverse the order: `u` for
    // `n`, `p` for `d`, `q` for `b`, `W` for `M`, and the words' order too.
    assert_eq!(
        one("ɹǝᴉʇɹɐɔ ring"),
        (CARTIER, Evidence::TextObfuscated, "ɹǝᴉʇɹɐɔ")
    );
    assert_eq!(
        one("Pen ɔuɐlqʇuoW 146"),
        (MONTBLANC, Evidence::TextObfuscated, "ɔuɐlqʇuoW")
    );
    assert_eq!(
        one("uoʇʇᴉnΛ sᴉnoꞀ bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "uoʇʇᴉnΛ sᴉnoꞀ")
    );
    assert_eq!(
        one("ᴉɔɔn⅁ belt"),
        (GUCCI, Evidence::TextObfuscated, "ᴉɔɔn⅁")
    );
    // Read upright, a compatibility phrase is one (`case for Cartier`).
    let flipped = scan("ɹǝᴉʇɹɐɔ ɹoɟ ǝsɐɔ");
    assert_eq!(flipped.len(), 1, "{flipped:?}");
    assert!(flipped[0].nominative_use);
    // Only words with a mark of upside-down text are read backwards:
    // `roip` is no `Dior`, and `sinoL` beside a flipped word no `Louis`.
    assert_eq!(one("ɹoᴉp bag"), (DIOR, Evidence::TextObfuscated, "ɹoᴉp"));
    assert!(found("roip bag").is_empty());
    assert!(found("uoʇʇᴉnΛ sinoL bag").is_empty());
    // A name is still made of whole words.
    assert!(found("ɹǝᴉʇɹɐɔxx ring").is_empty());
    // An ordinary text has no such mark: the step costs it one test.
    let mut folded = FoldedText::new();
    folded.fold("Cartier ring, Gucci belt", Level::Obfuscation);
    assert!(!folded.may_be_flipped());
    folded.fold("Kadın saat Λ", Level::Obfuscation);
    assert!(!folded.may_be_flipped());
}

#[test]
fn upside_down_runs_read_across_a_word_left_upright() {
    // A size or a model number typed upright inside a flipped title does
    // not end the run: `strap for cartier`, `case for cartier` are read
    // upright, with their compatibility phrase.
    for text in ["ɹǝᴉʇɹɐɔ 38mm ɹoɟ dɐɹʇs", "ɹǝᴉʇɹɐɔ X12 ɹoɟ ǝsɐɔ"] {
        let flipped = scan(text);
        assert_eq!(flipped.len(), 1, "{flipped:?}");
        assert_eq!(flipped[0].brand, CARTIER);
        assert!(flipped[0].nominative_use, "{text}: {flipped:?}");
    }
    // A compatibility phrase written upright before a name written upside
    // down is one too.
    let mixed = scan("Strap for 38mm ɹǝᴉʇɹɐɔ");
    assert_eq!(mixed.len(), 1, "{mixed:?}");
    assert!(mixed[0].nominative_use, "{mixed:?}");
    // A name's words on either side of one are still a name.
    assert_eq!(
        one("uoʇʇᴉnΛ 2024 sᴉnoꞀ bag"),
        (
            LOUIS_VUITTON,
            Evidence::TextObfuscated,
            "uoʇʇᴉnΛ 2024 sᴉnoꞀ"
        )
    );
    // A word left upright is not read backwards: `sinoL` is still no
    // `Louis` between flipped words.
    assert!(found("uoʇʇᴉnΛ sinoL ǝsɐɔ").is_empty());
    // Three upright words in a row end the run.
    let apart = scan("ɹǝᴉʇɹɐɔ one two three ɹoɟ dɐɹʇs");
    assert_eq!(apart.len(), 1, "{apart:?}");
    assert!(!apart[0].nominative_use, "{apart:?}");
}

#[test]
fn upside_down_words_without_a_turned_letter_are_read_in_their_run() {
    let readings = |text: &str| -> Vec<String> {
        let mut readings = super::normalize::FlippedReadings::default();
        readings.read(text);
        readings
            .iter()
            .map(|(upright, _)| upright.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    // `uo` is `on` turned, with no turned letter: read inside a run, at
    // its edge too.
    assert_eq!(readings("ɹoɟ ǝsɐɔ uo"), ["on case for"]);
    assert_eq!(readings("uo ǝsɐɔ"), ["case on"]);
    assert_eq!(readings("ǝsɐɔ xoq pos"), ["sod box case"]);
    // Words left upright are still left out (sizes, model numbers, `XL`,
    // `sinoL`), and a run needs a word with a turned letter.
    assert_eq!(readings("ɹǝᴉʇɹɐɔ X12 ɹoɟ ǝsɐɔ"), ["case for cartier"]);
    assert_eq!(readings("ɹǝᴉʇɹɐɔ 38mm XL ǝsɐɔ"), ["case cartier"]);
    assert_eq!(readings("uoʇʇᴉnΛ sinoL"), ["vuitton"]);
    assert!(readings("on so do up").is_empty());
    assert!(readings("Cartier on sale").is_empty());
    // An ordinary word written upright inside or at the edge of a run
    // (`on`, `so`: turned, `uo`, `os` are none) is left out as a size is,
    // not read turned into a word that is none.
    assert_eq!(readings("ǝllǝɹnɐ on sale"), ["aurelle"]);
    assert_eq!(readings("ɹǝᴉʇɹɐɔ ɹoɟ dɐɹʇs so cute"), ["strap for cartier"]);
    assert_eq!(readings("ɹǝᴉʇɹɐɔ on ɹoɟ dɐɹʇs"), ["strap for cartier"]);
    // A word that is one either way stays a word of the run.
    assert_eq!(readings("ǝsɐɔ pod"), ["pod case"]);
    // A name such a word spells is found in the run.
    let index = BrandIndex::build([entry(1, &["Pondo"], &[])]).expect("index");
    assert_eq!(
        found_in(&index, "opuod ɥɔʇɐʍ"),
        [(1, Evidence::TextObfuscated, "opuod".to_owned())]
    );
    assert!(found_in(&index, "opuod watch").is_empty());
}

#[test]
fn upside_down_misspellings_are_fuzzy() {
    // `cartiier` written upside down: a misspelling read upright.
    assert_eq!(
        one("ɹǝᴉᴉʇɹɐɔ ring"),
        (CARTIER, Evidence::TextFuzzy { distance: 1 }, "ɹǝᴉᴉʇɹɐɔ")
    );
    assert_eq!(
        one("uoʇᴉnΛ sᴉnoꞀ bag"),
        (
            LOUIS_VUITTON,
            Evidence::TextFuzzy { distance: 1 },
            "uoʇᴉnΛ sᴉnoꞀ"
        )
    );
    // Not for a brand the text names strongly, nor for ordinary words.
    assert_eq!(
        one("Cartier ɹǝᴉᴉʇɹɐɔ"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert!(found("ɥɔʇɐʍ ɔᴉʇɐɯoʇnɐ ʇǝʞɔod").is_empty());
}

#[test]
fn signal_terms_written_upside_down_are_found() {
    let terms = |text: &str| -> Vec<String> {
        signal_terms(text, &[])
            .into_iter()
            .map(|r| text[r].to_owned())
            .collect()
    };
    assert_eq!(terms("Cartiier ɐɔᴉldǝɹ watch"), ["ɐɔᴉldǝɹ"]);
    assert_eq!(terms("ʎdoɔ ɹǝdns ɹǝᴉʇɹɐɔ"), ["ʎdoɔ ɹǝdns"]);
    // With the same rules: `AAA batteries` upright is a battery size.
    assert!(terms("sǝᴉɹǝʇʇɐq ∀∀∀ ɹoɟ ɹǝƃɹɐɥɔ").is_empty());
    assert_eq!(terms("ɥɔʇɐʍ ∀∀∀"), ["∀∀∀"]);
    // Only words with a mark are read backwards.
    assert!(terms("Cartier acilper ekaf").is_empty());
}

#[test]
fn letters_with_a_stroke_read_as_their_letters() {
    assert_eq!(
        one("Ⱥpple watch band"),
        (APPLE, Evidence::TextObfuscated, "Ⱥpple")
    );
    assert_eq!(
        one("Ꞡucci belt"),
        (GUCCI, Evidence::TextObfuscated, "Ꞡucci")
    );
    assert_eq!(
        one("Cartɨer ring"),
        (CARTIER, Evidence::TextObfuscated, "Cartɨer")
    );
    assert_eq!(
        one("ȻARTIER ring"),
        (CARTIER, Evidence::TextObfuscated, "ȻARTIER")
    );
    // An `l` with a stroke stands for an `l`, not an `i`.
    assert_eq!(one("Chłoe bag"), (CHLOE, Evidence::TextObfuscated, "Chłoe"));
}

#[test]
fn hangul_jamo_drawn_as_latin_letters_read_so_beside_latin_letters_only() {
    // `ㅣ` for `l` and `ㅇ` for `o`, inside a Latin word or at its edge.
    assert_eq!(
        one("Montbㅣanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Montbㅣanc")
    );
    assert_eq!(
        one("Chㅣoé bag"),
        (CHLOE, Evidence::TextObfuscated, "Chㅣoé")
    );
    assert_eq!(one("Diㅇr bag"), (DIOR, Evidence::TextObfuscated, "Diㅇr"));
    assert_eq!(
        one("ㅣouis Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "ㅣouis Vuitton")
    );
    assert_eq!(fold_obfuscated("Kestreㅣ, Lumㅇ"), "kestrel lurno");
    // A name right after one is still the name as written.
    assert_eq!(one("Sale ㅣDior"), (DIOR, Evidence::TextExact, "Dior"));
    // In Korean text, and between spaces, they are Korean letters.
    let mut folded = FoldedText::new();
    for korean in [
        "가ㅣ나",
        "세일 ㅣ 신상",
        "ㅣ",
        "ㅇㅇ",
        "ㅋㅋㅣ",
        "ㅇ ㅣ",
        "가丨나",
    ] {
        folded.fold(korean, Level::Obfuscation);
        assert!(
            (0..folded.len()).all(|i| folded.flags_at(i) & super::normalize::WORD == 0),
            "{korean}: {}",
            folded.as_str()
        );
    }
    assert_eq!(one("신상ㅣDior"), (DIOR, Evidence::TextExact, "Dior"));
    assert!(!fold_obfuscated("Cushionㅣ쿠션").contains("cushionl"));
    // The Han stroke `丨` too, but only inside a word: at its edge it is
    // the divider of Chinese titles.
    assert_eq!(
        one("Montb丨anc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Montb丨anc")
    );
    assert_eq!(fold_obfuscated("Dior丨 男表"), fold_obfuscated("Dior 男表"));
}

#[test]
fn a_hebrew_paseq_or_a_katakana_re_is_an_l_between_latin_letters_only() {
    // The paseq `׀` and the katakana `ﾚ` (half-width, as written, or
    // full-width, as NFKC writes it) between two Latin letters.
    for text in [
        "Montb׀anc pen",
        "Montbﾚanc pen",
        "Montbレanc pen",
        "Montb\u{5C0}anc pen",
    ] {
        let shown = text.trim_end_matches(" pen");
        assert_eq!(
            one(text),
            (MONTBLANC, Evidence::TextObfuscated, shown),
            "{text}"
        );
    }
    assert_eq!(
        fold_obfuscated("Vuitto׀׀e Chﾚoe"),
        fold_obfuscated("Vuittolle Chloe")
    );
    // Beside another letter read as a Latin one there (`ㅣ`).
    assert_eq!(fold_obfuscated("Ve׀ㅣano"), fold_obfuscated("Vellano"));
    // Not at a word's edge, where they are a divider or a kana of their
    // own: Hebrew and Japanese text fold as before.
    assert_eq!(fold_obfuscated("Dior׀ bag"), fold_obfuscated("Dior bag"));
    assert_eq!(fold_obfuscated("׀Dior"), fold_obfuscated("Dior"));
    assert_eq!(
        fold_obfuscated("שלום ׀ עולם של׀ום"),
        fold_obfuscated("שלום  עולם של ום")
    );
    assert_eq!(fold_obfuscated("Dior׀שלום"), fold_obfuscated("Dior שלום"));
    assert!(fold_obfuscated("DVDレコーダー").ends_with(&fold_obfuscated("レコーダー")));
    assert!(fold_obfuscated("Tレックス").ends_with(&fold_obfuscated("レックス")));
    assert_eq!(fold_obfuscated("ﾚｺｰ"), fold_obfuscated("レコー"));
}

#[test]
fn a_bopomofo_eng_or_a_hangul_nieun_is_an_l_beside_latin_letters_only() {
    // The Bopomofo `ㄥ` and the Hangul `ㄴ` (conjoining and half-width
    // forms too) are drawn as a capital `L`: at a Latin word's start, its
    // end, or inside it.
    for (text, brand, shown) in [
        ("ㄥouis Vuitton bag", LOUIS_VUITTON, "ㄥouis Vuitton"),
        ("ㄴouis Vuitton bag", LOUIS_VUITTON, "ㄴouis Vuitton"),
        ("ﾤouis Vuitton bag", LOUIS_VUITTON, "ﾤouis Vuitton"),
        (
            "\u{1102}ouis Vuitton bag",
            LOUIS_VUITTON,
            "\u{1102}ouis Vuitton",
        ),
        ("Montbㄥanc pen", MONTBLANC, "Montbㄥanc"),
        ("Chㄴoe bag", CHLOE, "Chㄴoe"),
    ] {
        assert_eq!(
            one(text),
            (brand, Evidence::TextObfuscated, shown),
            "{text}"
        );
    }
    assert_eq!(fold_obfuscated("Kestreㄥ, Kestreㄴ"), "kestrel kestrel");
    // So are the Bopomofo `ㄩ` (`U`), and the Hangul `ㄷ` and `ㅌ` (a
    // squared `C` and `E`).
    assert_eq!(
        fold_obfuscated("Lㄩmo ㄷoach Aurㅌllㅌ"),
        "lurno coach aurelle"
    );
    assert_eq!(
        one("ㄷartier ring"),
        (CARTIER, Evidence::TextObfuscated, "ㄷartier")
    );
    // A name right after one is still the name as written.
    assert_eq!(one("ㄴDior bag"), (DIOR, Evidence::TextExact, "Dior"));
    // Beside Korean or Bopomofo text, or alone, they are its letters:
    // that text folds as before and shows nothing.
    let mut folded = FoldedText::new();
    for text in [
        "ㄴㄴ",
        "ㄱㄴㄷ 순서",
        "안ㄴ",
        "ㄴ 구성",
        "ㄅㄆㄇㄈ ㄌㄥˋ",
        "ㄥ",
        "ㄅㄥ ㄴ",
        "Kateㄴ가",
        "가ㄴKate",
        "Kate ㄴ Rose",
        "ㄷㄷ 무서워",
        "ㄅㄩㄷ 注音",
        "Kate ㅌㄷ",
    ] {
        folded.fold(text, Level::Obfuscation);
        for i in 0..folded.len() {
            let written = &text[folded.original_span(i..i + 1)];
            assert!(
                !(folded.as_str().as_bytes()[i].is_ascii_alphabetic()
                    && written.contains(['ㄥ', 'ㄴ', 'ㄩ', 'ㄷ', 'ㅌ'])),
                "{text}: {}",
                folded.as_str()
            );
        }
    }
    for text in ["ㄴㄴ 가죽 지갑", "ㄅㄆㄇㄈ 注音 ㄥ", "리셋ㄴ 향수"] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
}

#[test]
fn bars_stand_for_as_many_letters_as_strokes() {
    // Bracket and integral extensions, vertical box lines and the light
    // vertical bar are drawn as `|` is.
    for bars in [
        "Aure⎪⎪e",
        "Aure⎥⎥e",
        "Aure⎮⎮e",
        "Aure⎸⎸e",
        "Aure❘❘e",
        "Aure⏐⎪e",
    ] {
        assert_eq!(fold_obfuscated(bars), "aurelle", "{bars}");
    }
    // A triple bar is three letters, as `|||` is: a letter too many.
    for bars in ["Aure⫴e", "Aure⦀e", "Aure⫼e", "Aure|||e"] {
        assert_eq!(fold_obfuscated(bars), "aurellle", "{bars}");
    }
    let index = BrandIndex::build([entry(1, &["Aurelle"], &[])]).expect("test index builds");
    let evidence = |text| {
        scan_with(&index, text)
            .iter()
            .map(|m| m.evidence)
            .collect::<Vec<_>>()
    };
    assert_eq!(evidence("Aure⎪⎪e watch"), [Evidence::TextObfuscated]);
    assert_eq!(
        evidence("Aure⫴e watch"),
        [Evidence::TextFuzzy { distance: 1 }],
        "three bars for two letters are a misspelling"
    );
    // Four strokes or more in a row are a divider, not letters.
    for bars in ["Aure||||e", "Aure‖‖e", "Aure⫴|e", "Aure‖||e"] {
        assert_eq!(fold_obfuscated(bars), "aure e", "{bars}");
    }
    // Between words, separators.
    assert_eq!(fold_obfuscated("Men ⫴ Women ⎪ Kids"), "rnen wornen klds");
}

#[test]
fn a_misspelt_name_beside_a_hangul_bar_is_still_a_misspelling() {
    // `ㅣ` glued to a Latin word's edge reads as its letter `l`
    // (`Kestreㅣ`), but Korean titles write it as a divider as often:
    // the word without it is looked up too.
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    assert_eq!(one("Cartierrㅣ 남성 시계"), (CARTIER, fuzzy, "Cartierr"));
    assert_eq!(one("남성 ㅣCartierr"), (CARTIER, fuzzy, "Cartierr"));
    assert_eq!(one("Cartierrㅣ"), (CARTIER, fuzzy, "Cartierr"));
    // A name read with it is found as before.
    assert_eq!(
        one("Montbㅣanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Montbㅣanc")
    );
    assert_eq!(
        one("Montblancㅣ 남성"),
        (MONTBLANC, Evidence::TextExact, "Montblanc")
    );
    // Read as a letter at an edge, it completes a name, but makes no
    // misspelling: `Appl` would be one of `Apple`, `App` is not.
    assert!(
        found("Appㅣ 스토어").is_empty(),
        "{:?}",
        found("Appㅣ 스토어")
    );
    assert_eq!(one("Appleㅣ 스토어"), (APPLE, Evidence::TextExact, "Apple"));
    // Compatibility phrases read as in the text.
    let weak = scan("Strap for Cartierrㅣ 남성");
    assert_eq!(weak.len(), 1, "{weak:?}");
    assert!(weak[0].nominative_use, "{weak:?}");
}

#[test]
fn the_registered_sign_is_leet_for_r_inside_a_word_only() {
    assert_eq!(
        one("Ca®tier ring"),
        (CARTIER, Evidence::TextObfuscated, "Ca®tier")
    );
    // After a name, or between words, the mark it is.
    assert_eq!(
        one("Cartier® ring"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(
        one("Cartier®Ring"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(fold_obfuscated("Brand® 2024"), "brand 2024");
}

#[test]
fn cent_copyright_and_inverted_exclamation_are_leet_symbols() {
    // `¢` and `©` for `c`, `¡` like `!`: letters inside a word.
    assert_eq!(
        one("Gu¢¢i belt"),
        (GUCCI, Evidence::TextObfuscated, "Gu¢¢i")
    );
    assert_eq!(
        one("Gu©ci belt"),
        (GUCCI, Evidence::TextObfuscated, "Gu©ci")
    );
    assert_eq!(
        one("Cart¡er ring"),
        (CARTIER, Evidence::TextObfuscated, "Cart¡er")
    );
    // A separator at a word's edge, for the fold (the second readings
    // read a first letter too: `symbols_outside_ascii_are_read_both_ways_too`).
    assert_eq!(fold_obfuscated("©hloé Gucci¢"), "hloe guccl");
    // Separators elsewhere: a notice, a price, Spanish punctuation.
    assert_eq!(
        fold_obfuscated("©2024 Dior, 50¢ ¡Oferta!"),
        "2024 dlor 50 oferta"
    );
    assert_eq!(
        one("Cartier©Watch"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
}

#[test]
fn full_width_and_small_leet_symbols_are_read_as_nfkc_makes_them() {
    // NFKC makes `＠`, `﹫`, `！`, `＋`, `＄`, `｜` and `￠` the symbols
    // themselves: inside a word, at its edge, and in a row.
    assert_eq!(
        fold_obfuscated("Ｔｅ＄＄ａｒｏ Ｖｅ！！ａｎｏ"),
        "tessaro vellano"
    );
    for (text, brand, shown) in [
        ("Ｃａｒ＋ｉｅｒ ring", CARTIER, "Ｃａｒ＋ｉｅｒ"),
        ("Gu￠￠i belt", GUCCI, "Gu￠￠i"),
        ("Louis Vuit｜ton bag", LOUIS_VUITTON, "Louis Vuit｜ton"),
        ("＠pple watch", APPLE, "＠pple"),
        ("﹫pple watch", APPLE, "﹫pple"),
    ] {
        assert_eq!(
            one(text),
            (brand, Evidence::TextObfuscated, shown),
            "{text}"
        );
    }
    // Still punctuation between words and numbers, and an email's `@`.
    assert_eq!(fold_obfuscated("Wow！！ Great ＄＄ deal"), "wow great deal");
    assert_eq!(
        fold_obfuscated("10＋12, 2＋1"),
        fold_obfuscated("10 12, 2 1")
    );
    let index = BrandIndex::build([entry(5, &["Aerie"], &[])]).expect("index builds");
    assert!(
        scan_with(&index, "Contact: info＠erie-outdoor.com")
            .iter()
            .all(|m| m.evidence != Evidence::TextObfuscated)
    );
    // Other full-width punctuation is no letter.
    assert_eq!(
        fold_obfuscated("Ｃａｒｔ：ｉｅｒ"),
        fold_obfuscated("Cart:ier")
    );
}

#[test]
fn letters_that_uts_39_reads_as_an_apostrophe_or_a_colon_are_between_words() {
    for (text, brand, shown) in [
        ("Montre dʼCartier homme", CARTIER, "Cartier"),
        ("Cartierʼs new diver watch", CARTIER, "Cartier"),
        ("Diorʻs lipstick", DIOR, "Dior"),
        ("Diorʹs lipstick", DIOR, "Dior"),
        ("Diorꞌs lipstick", DIOR, "Dior"),
    ] {
        assert_eq!(one(text), (brand, Evidence::TextExact, shown), "{text}");
    }
    assert_eq!(fold_exact("1ː1 dʼart"), fold_exact("1:1 d'art"));
    // Other modifier letters stay letters of their word.
    assert_eq!(fold_exact("Diorʰ"), "diorh");
}

#[test]
fn a_letter_whose_skeleton_is_a_capital_reads_as_its_lower_case() {
    // Cherokee `Ꮇ`, Lisu `ꓟ`, Canadian syllabics `ᗰ`: `M`, which the
    // obfuscation fold reads as Latin `m` (`rn`).
    for text in ["ᎷONTBLANC pen", "ꓟontblanc pen", "ᗰONTBLANC pen"] {
        assert_eq!(one(text).0, MONTBLANC, "{text}");
        assert_eq!(one(text).1, Evidence::TextObfuscated, "{text}");
    }
    assert_eq!(fold_obfuscated("ᎷOᎷ"), fold_obfuscated("MOM"));
}

#[test]
fn kept_combining_marks_do_not_split_a_word_when_obfuscating() {
    let text = "C\u{489}a\u{489}r\u{489}t\u{489}i\u{489}e\u{489}r\u{489} ring";
    let (brand, evidence, shown) = one(text);
    assert_eq!((brand, evidence), (CARTIER, Evidence::TextObfuscated));
    assert!(
        shown.starts_with('C') && shown.ends_with('\u{489}'),
        "{shown:?}"
    );
    assert_eq!(
        one("Cart\u{0E49}ier").1,
        Evidence::TextObfuscated,
        "a Thai tone mark"
    );
    // The exact fold keeps them (they carry meaning in their own scripts).
    assert_eq!(fold_exact("क\u{093F}"), "क\u{093F}");
}

#[test]
fn single_cjk_characters_join() {
    assert_eq!(
        one("卡 地 亚 手表"),
        (CARTIER, Evidence::TextObfuscated, "卡 地 亚")
    );
    // A single character also joins the CJK text beside it, which has no
    // word spaces of its own.
    assert_eq!(
        one("卡 地 亚手表"),
        (CARTIER, Evidence::TextObfuscated, "卡 地 亚"),
    );
    assert_eq!(
        one("正品卡 地 亚手表"),
        (CARTIER, Evidence::TextObfuscated, "卡 地 亚"),
    );
    assert_eq!(one("卡地 亚").1, Evidence::TextObfuscated);
    assert!(
        found("卡地 亚洲").is_empty(),
        "only single characters join: Chinese titles separate phrases with spaces"
    );
    assert!(found("卡 地 ya").is_empty(), "never with a Latin letter");
    assert_eq!(
        one("路易 威登 手袋"),
        (LOUIS_VUITTON, Evidence::TextExact, "路易 威登"),
        "a name with a CJK edge spans the separators it has itself"
    );
    assert!(found("路易威 登山包").is_empty());
}

/// Brands with CJK aliases of two, three and four characters, for the
/// tests of what is written between an alias's characters.
static CJK_INDEX: LazyLock<BrandIndex> = LazyLock::new(|| {
    BrandIndex::build([
        entry(1, &["Aurelle", "奥瑞尔"], &[]),
        entry(2, &["Vellano", "维拉诺"], &[]),
        entry(3, &["蒙克莱尔"], &[]),
        entry(4, &["恒达"], &[]),
        entry(5, &["奥迪"], &[]),
        entry(6, &["卡地亚"], &[]),
        entry(7, &["グッチ"], &[]),
    ])
    .expect("index")
});

#[test]
fn a_letter_or_digit_between_the_characters_of_a_cjk_alias_is_obfuscation() {
    let kinds = |text: &str| found_in(&CJK_INDEX, text);
    let obfuscated = |brand, shown: &str| vec![(brand, Evidence::TextObfuscated, shown.to_owned())];
    for (text, brand, shown) in [
        ("奥x瑞x尔女士手表", 1, "奥x瑞x尔"),
        ("奥1瑞2尔", 1, "奥1瑞2尔"),
        ("维x拉x诺女包", 2, "维x拉x诺"),
        ("正品奥x瑞尔手表", 1, "奥x瑞尔"),
        ("奥瑞Q尔 手表", 1, "奥瑞Q尔"),
        ("奥ｘ瑞ｘ尔", 1, "奥ｘ瑞ｘ尔"),
        // Fancy-text letters and digits, as the letters they read as.
        ("奥Ⓐ瑞尔手表", 1, "奥Ⓐ瑞尔"),
        ("奥ᴀ瑞尔手表", 1, "奥ᴀ瑞尔"),
        ("奥𝐀瑞尔手表", 1, "奥𝐀瑞尔"),
        ("奥①瑞尔手表", 1, "奥①瑞尔"),
        ("奥ℂ瑞ℍ尔", 1, "奥ℂ瑞ℍ尔"),
        ("奥¹瑞²尔", 1, "奥¹瑞²尔"),
        ("奥ʰ瑞ʳ尔", 1, "奥ʰ瑞ʳ尔"),
        ("奥ª瑞º尔", 1, "奥ª瑞º尔"),
        ("维Ⓐ拉诺女包", 2, "维Ⓐ拉诺"),
        ("奧x瑞x爾", 1, "奧x瑞x爾"),
        ("蒙x克x莱x尔", 3, "蒙x克x莱x尔"),
        // With a symbol between others, as separators alone are.
        ("奥x瑞·尔", 1, "奥x瑞·尔"),
        // A name found as written in CJK text matches anywhere
        // (`卡地亚洲` shows `卡地亚`), and so it does with a letter inside.
        ("卡x地亚洲", 6, "卡x地亚"),
        ("卡地x亚洲", 6, "卡地x亚"),
    ] {
        assert_eq!(kinds(text), obfuscated(brand, shown), "{text}");
    }
    // A letter beside Han characters, not between two of an alias's: its
    // own word (`T恤`, `A4`), nothing glued.
    for text in [
        "T恤",
        "纯棉T恤男",
        "奥瑞尔T恤",
        "恒x达",
        "恒2达 买2送1",
        "奥xx瑞尔",
        "奥 x 瑞 x 尔",
        "奥x瑞x",
        "x奥瑞",
        // Regional indicators draw flags, not letters.
        "奥🇦瑞🇧尔手表",
    ] {
        let unexpected: Vec<_> = kinds(text)
            .into_iter()
            .filter(|m| m.1 != Evidence::TextExact)
            .collect();
        assert!(unexpected.is_empty(), "{text}: {unexpected:?}");
    }
    assert_eq!(
        kinds("奥迪A4 汽车脚垫"),
        [(5, Evidence::TextExact, "奥迪".to_owned())]
    );
    assert_eq!(
        kinds("奥瑞尔T恤"),
        [(1, Evidence::TextExact, "奥瑞尔".to_owned())]
    );
    // Symbols between the characters of a two-character alias are
    // separators, as before.
    assert_eq!(kinds("恒·达").len(), 1);
}

#[test]
fn a_cjk_character_written_as_a_separator_inside_a_cjk_alias_is_obfuscation() {
    let kinds = |text: &str| found_in(&CJK_INDEX, text);
    for (text, brand, shown) in [
        ("奥丶瑞丶尔", 1, "奥丶瑞丶尔"),
        ("奥ー瑞ー尔手表", 1, "奥ー瑞ー尔"),
        ("奥丨瑞丨尔", 1, "奥丨瑞丨尔"),
        // The Hangul vowel `ㅣ`, a bar as `丨` is, between Han characters.
        ("奥ㅣ瑞ㅣ尔 男士机械表", 1, "奥ㅣ瑞ㅣ尔"),
        ("恒ㅣ达", 4, "恒ㅣ达"),
        ("维丶拉诺女包", 2, "维丶拉诺"),
        ("恒丶达", 4, "恒丶达"),
        ("グ丶ッ丶チ", 7, "グ丶ッ丶チ"),
        // A run of them, as a run of symbols is one separator.
        ("奥丶丶瑞尔", 1, "奥丶丶瑞尔"),
    ] {
        assert_eq!(
            kinds(text),
            [(brand, Evidence::TextObfuscated, shown.to_owned())],
            "{text}"
        );
    }
    // `一` and `〇` are characters of their own; `ー` lengthens kana
    // (`グーッチ` is no `グッチ`); `ㅣ` beside kana or Hangul is no bar.
    for text in [
        "奥一瑞一尔",
        "奥〇瑞〇尔",
        "グーッチ",
        "グㅣッㅣチ",
        "奥ㅣ瑞ㅣ이",
    ] {
        assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
    }
}

#[test]
fn the_hangzhou_numeral_one_is_a_cjk_divider_as_the_han_stroke_is() {
    // `〡`, read as `l` inside a Latin word as `丨` is, is written between
    // a CJK alias's characters as `丨` is, and between phrases glues no
    // name across it.
    let kinds = |text: &str| found_in(&CJK_INDEX, text);
    assert_eq!(
        kinds("奥〡瑞〡尔 男士机械表"),
        [(1, Evidence::TextObfuscated, "奥〡瑞〡尔".to_owned())]
    );
    assert_eq!(
        kinds("恒〡达"),
        [(4, Evidence::TextObfuscated, "恒〡达".to_owned())]
    );
    assert!(kinds("永恒〡达人手表").is_empty());
}

#[test]
fn a_cjk_divider_between_two_phrases_glues_no_name_across_it() {
    let kinds = |text: &str| found_in(&CJK_INDEX, text);
    // Chinese titles write `丨` (and Korean ones `ㅣ`) glued between
    // phrases, as they write spaces: a name of two characters is not read
    // across one between two phrases of two characters or more (`永恒`
    // and `达人` hold no `恒达`), nor is the end of one phrase joined to
    // the next (`奥瑞` and `尔手表`).
    for text in [
        "永恒丨达人手表",
        "永恒ㅣ达人手表",
        "永恒丶达人",
        "永恒ー达人",
        "奥瑞丨尔手表",
    ] {
        assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
    }
    // A name written beside a divider is found as written, and not hidden
    // by a longer one glued across it.
    assert_eq!(
        kinds("机械表丨奥瑞尔丨男士"),
        [(1, Evidence::TextExact, "奥瑞尔".to_owned())]
    );
    // A lone character on one side is still a name split (`恒丨达人`
    // is `恒达人`, as `恒 达人` is `恒达人`).
    for (text, shown) in [
        ("恒丨达人", "恒丨达"),
        ("永恒ㅣ达", "恒ㅣ达"),
        ("奥瑞丨尔 手表", "奥瑞丨尔"),
    ] {
        assert_eq!(
            kinds(text),
            [(
                if shown.starts_with('奥') { 1 } else { 4 },
                Evidence::TextObfuscated,
                shown.to_owned()
            )],
            "{text}"
        );
    }
}

#[test]
fn a_character_of_a_cjk_alias_masked_is_a_misspelling() {
    let kinds = |text: &str| found_in(&CJK_INDEX, text);
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    for (text, brand, shown) in [
        ("奥*尔", 1, "奥*尔"),
        ("奥x尔", 1, "奥x尔"),
        ("奥?尔", 1, "奥?尔"),
        ("奥□尔", 1, "奥□尔"),
        ("奥○尔", 1, "奥○尔"),
        ("奥＊尔", 1, "奥＊尔"),
        ("奥？尔", 1, "奥？尔"),
        ("奥\u{fffd}尔", 1, "奥\u{fffd}尔"),
        ("奥**尔", 1, "奥**尔"),
        ("正品奥*尔女士手表", 1, "奥*尔"),
        ("维*诺 女包", 2, "维*诺"),
        ("蒙*莱尔", 3, "蒙*莱尔"),
        ("蒙克*尔钢笔", 3, "蒙克*尔"),
        ("蒙克7尔", 3, "蒙克7尔"),
        // A symbol masks a kana as well.
        ("グ*チ", 7, "グ*チ"),
        // An emoji as a symbol does.
        ("奥💎尔", 1, "奥💎尔"),
        ("奥❤\u{fe0f}尔手表", 1, "奥❤\u{fe0f}尔"),
    ] {
        assert_eq!(kinds(text), [(brand, fuzzy, shown.to_owned())], "{text}");
    }
    // One character masked, in a name of three or more, between two of
    // its characters; a letter masks one between Han characters only.
    for text in [
        "蒙*莱*尔",
        "蒙**尔",
        "蒙*克*尔",
        "恒*",
        "*达",
        "恒x",
        "奥*",
        "*瑞尔",
        "奥***尔",
        "奥*#尔",
        "奥 * 尔",
        "グxチ",
    ] {
        let unexpected: Vec<_> = kinds(text)
            .into_iter()
            .filter(|m| m.1 != Evidence::TextObfuscated)
            .collect();
        assert!(unexpected.is_empty(), "{text}: {unexpected:?}");
    }
    // Weaker than the alias written whole, and off with fuzzy matching.
    assert_eq!(
        kinds("奥瑞尔 奥*尔"),
        [(1, Evidence::TextExact, "奥瑞尔".to_owned())]
    );
    let mut out = Vec::new();
    CJK_INDEX.scan_text_with("奥*尔", ScanOptions { fuzzy_max_words: 0 }, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn i_is_not_a_confusable_of_l_but_1_stands_for_both() {
    // Case folding comes before the skeleton (case-insensitive UTS #39): `I`
    // is `i`, and `i` for `l` (or `l` for `i`) is a misspelling.
    for text in ["Chioé perfume", "CHIOE perfume", "ChIoé perfume"] {
        assert_eq!(
            found(text)[0].1,
            Evidence::TextFuzzy { distance: 1 },
            "{text}"
        );
    }
    assert_eq!(one("CARTlER ring").1, Evidence::TextFuzzy { distance: 1 });
    assert_eq!(one("Montbianc pen").1, Evidence::TextFuzzy { distance: 1 });
    assert!(
        found("Chiie").is_empty(),
        "two substitutions for a 5-letter name"
    );
    // `1`, `|` and `!` stand for either letter.
    for text in [
        "Ch1oé perfume",
        "Ch|oé perfume",
        "Cart1er ring",
        "Cart!er ring",
        "Gucc1 bag",
    ] {
        assert_eq!(found(text)[0].1, Evidence::TextObfuscated, "{text}");
    }
    assert_eq!(one("CARTIER ring").1, Evidence::TextExact);
    // A `1` in a registered name stands for either letter as well.
    for text in ["Baily shoes", "Bally shoes", "BAILY shoes"] {
        assert_eq!(
            one(text),
            (BA1LY, Evidence::TextObfuscated, &text[..5]),
            "{text}"
        );
    }
    assert_eq!(one("Ba1ly shoes").1, Evidence::TextExact);
    assert_eq!(one("Bailly shoes").1, Evidence::TextFuzzy { distance: 1 });
}

#[test]
fn a_doubled_l_written_with_two_i_is_obfuscation() {
    let index = BrandIndex::build([
        entry(1, &["Vellano"], &[]),
        entry(2, &["Aurelle"], &[]),
        entry(3, &["Hallmark"], &[]),
    ])
    .expect("index");
    let kinds = |text: &str| found_in(&index, text);
    // `II` draws as `ll` (UTS #39 reads `I` as `l`); detection is
    // case-insensitive, so `ii` counts the same.
    for (text, brand, shown) in [
        ("VeIIano tote", 1, "VeIIano"),
        ("VEIIANO tote", 1, "VEIIANO"),
        ("veiiano tote", 1, "veiiano"),
        ("AureIIe watch", 2, "AureIIe"),
        ("HaIImark card", 3, "HaIImark"),
    ] {
        assert_eq!(
            kinds(text),
            [(brand, Evidence::TextObfuscated, shown.to_string())],
            "{text}"
        );
    }
    // One `i` for one `l` is a misspelling, as before; a doubled `l` read
    // once with `i` and once with `l` too.
    for (text, brand) in [("AureIle watch", 2), ("Aurelie watch", 2), ("VeIlano", 1)] {
        assert_eq!(
            kinds(text).iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
            [(brand, Evidence::TextFuzzy { distance: 1 })],
            "{text}"
        );
    }
}

#[test]
fn a_letter_masked_between_two_words_is_a_misspelling() {
    let index = BrandIndex::build([entry(1, &["Vellano"], &[]), entry(2, &["Aurelle"], &[])])
        .expect("index");
    let kinds = |text: &str| found_in(&index, text);
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    for (text, brand, shown) in [
        ("Aur*lle watch", 2, "Aur*lle"),
        ("Aur_lle watch", 2, "Aur_lle"),
        ("new V*llano tote", 1, "V*llano"),
        ("Vel*ano tote", 1, "Vel*ano"),
        ("Aur#lle watch", 2, "Aur#lle"),
        ("Aur•lle watch", 2, "Aur•lle"),
        ("Vel★ano tote", 1, "Vel★ano"),
        ("Aur×lle watch", 2, "Aur×lle"),
        ("Aur?lle watch", 2, "Aur?lle"),
        ("Aur**lle watch", 2, "Aur**lle"),
        // Full-width and small forms, as NFKC reads them.
        ("Aur＊lle watch", 2, "Aur＊lle"),
        ("Aur＃lle watch", 2, "Aur＃lle"),
        ("Vel？ano tote", 1, "Vel？ano"),
        ("V＿llano tote", 1, "V＿llano"),
        ("Aur﹡lle watch", 2, "Aur﹡lle"),
        ("Aur＊＊lle watch", 2, "Aur＊＊lle"),
        // The replacement character, as a bad byte or `&#xD800;` shows.
        ("Aur\u{fffd}lle watch", 2, "Aur\u{fffd}lle"),
        // An emoji, with its variation selector, skin tone, or the emoji
        // a zero-width joiner joins to it.
        ("Aur💎lle watch", 2, "Aur💎lle"),
        ("Aur❤\u{fe0f}lle watch", 2, "Aur❤\u{fe0f}lle"),
        ("Aur👍🏽lle watch", 2, "Aur👍🏽lle"),
        ("Aur👩\u{200d}🔧lle watch", 2, "Aur👩\u{200d}🔧lle"),
        ("Vel⭐ano tote", 1, "Vel⭐ano"),
        ("Aur💎💎lle watch", 2, "Aur💎💎lle"),
    ] {
        assert_eq!(kinds(text), [(brand, fuzzy, shown.to_string())], "{text}");
    }
    // A mask is one symbol, once or twice, alone between letters; two
    // letters masked apart are two substitutions, too many for seven
    // letters; a hyphen, a dot or a middle dot joins words.
    for text in [
        "Aur* lle watch",
        "Aur***lle",
        "Aur*#lle",
        "Aur*＊lle",
        "Aur－lle watch",
        "Au*e*le watch",
        "Aur-lle watch",
        "Aur.lle watch",
        "Aur·lle watch",
        // Two emoji, an emoji beside a space, signs NFKC reads as
        // letters, CJK punctuation.
        "Aur💎👑lle watch",
        "Aur 💎lle watch",
        "Aur™lle watch",
        "Aur〰lle watch",
        "Aur🆎lle watch",
    ] {
        assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
    }
    // An emoji between whole words masks nothing.
    for text in ["Vellano💎tote", "Love💖Heart pendant", "Aurelle ⌚ watch"] {
        assert!(
            kinds(text)
                .iter()
                .all(|m| !matches!(m.1, Evidence::TextFuzzy { .. })),
            "{text}: {:?}",
            kinds(text)
        );
    }
    // A misspelling glued to the next word by a mask is still found.
    assert_eq!(kinds("Vellanno*Tote"), [(1, fuzzy, "Vellanno".to_string())]);
    // Two letters masked in a name of nine letters or more: distance 2.
    let long = BrandIndex::build([entry(3, &["Montclaire"], &[])]).expect("index");
    for (text, shown) in [
        ("M*ntcl*ire pen", "M*ntcl*ire"),
        ("new Mont#l#ire", "Mont#l#ire"),
    ] {
        assert_eq!(
            found_in(&long, text),
            [(3, Evidence::TextFuzzy { distance: 2 }, shown.to_string())],
            "{text}"
        );
    }
    for text in ["M*n*c*aire pen", "M*ntcl ire*x"] {
        assert!(found_in(&long, text).is_empty(), "{text}");
    }
}

#[test]
fn names_match_only_as_whole_words() {
    assert!(found("Cartierville apartment").is_empty());
    assert!(found("Chloeria flowers").is_empty());
    assert!(found("Diorama kit").is_empty());
    assert!(found("applesauce, pineapple").is_empty());
    // Digits are word characters, but a number glued after a name is a
    // separator removed, as a buyer reads it (`Cartier 22`).
    for (text, shown) in [
        ("Cartier22", "Cartier"),
        ("Cartier2 watch", "Cartier"),
        ("CARTIER2024", "CARTIER"),
        ("Cartier42mm", "Cartier"),
        ("2024Cartier", "Cartier"),
        ("2024Cartier42mm", "Cartier"),
        ("Cartier5G", "Cartier"),
        ("Cartier12Pro", "Cartier"),
    ] {
        assert_eq!(
            one(text),
            (CARTIER, Evidence::TextObfuscated, shown),
            "{text}"
        );
    }
    // Single characters joined after digits (`1:1 L V`) are no number
    // glued to a name: the letters were words of their own.
    assert_eq!(
        one("1:1 L V"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "L V")
    );
    // A word that reads as leetspeak throughout is one word.
    assert!(found("Cartier0pr C4rtier3cur").is_empty());
    // Leet digits at a name's end are read (`Chl03`), though a number
    // glued to a word reads the same (`App13`, `Marvel10`).
    assert_eq!(one("Appl3"), (APPLE, Evidence::TextObfuscated, "Appl3"));
    assert_eq!(one("Chl03 bag"), (CHLOE, Evidence::TextObfuscated, "Chl03"));
    assert_eq!(
        one("Forever21 dress"),
        (FOREVER21, Evidence::TextExact, "Forever21")
    );
    // A name read wholly from digits is a number, wherever a boundary
    // falls (`101pcs` is not `LOL`); a name of digits is still found.
    assert!(found("14K 3113mm 101pcs").is_empty());
    assert_eq!(one("555 lighter"), (FIVES, Evidence::TextExact, "555"));
    assert_eq!(one("Dior2"), (DIOR, Evidence::TextObfuscated, "Dior"));
    assert_eq!(
        one("iPhone15 case"),
        (APPLE, Evidence::TextObfuscated, "iPhone")
    );
    assert!(
        found("LV2 XL3 2LV").is_empty(),
        "a name glued to digits needs four letters"
    );
    assert_eq!(
        one("Carti3r"),
        (CARTIER, Evidence::TextObfuscated, "Carti3r"),
        "a digit inside the name is leet"
    );
    assert_eq!(
        one("Cartier's ring"),
        (CARTIER, Evidence::TextExact, "Cartier")
    );
    assert_eq!(one("(Dior)"), (DIOR, Evidence::TextExact, "Dior"));
    assert_eq!(
        one("x-Dior-y"),
        (DIOR, Evidence::TextExact, "Dior"),
        "hyphens are boundaries"
    );
}

#[test]
fn a_name_glued_to_a_word_of_another_alphabet_is_a_word() {
    // Cyrillic and Greek words glued to a Latin name (three letters or
    // more of each), as a buyer reads them: two words.
    for (text, brand, shown) in [
        ("ЧасовникCartier мъжки", CARTIER, "Cartier"),
        ("Крем Diorнощен", DIOR, "Dior"),
        ("ΡολόιCartier", CARTIER, "Cartier"),
        ("Cartierвилль", CARTIER, "Cartier"),
        ("שעוןCartier", CARTIER, "Cartier"),
        ("घड़ीDior", DIOR, "Dior"),
    ] {
        assert_eq!(one(text), (brand, Evidence::TextExact, shown), "{text}");
    }
    // The name's first or last letter a look-alike of the other alphabet.
    for (text, brand, shown) in [
        ("ЧасовникСartier", CARTIER, "Сartier"),
        ("Applесок", APPLE, "Applе"),
    ] {
        assert_eq!(
            one(text),
            (brand, Evidence::TextObfuscated, shown),
            "{text}"
        );
    }
    assert!(
        found("наDior").is_empty(),
        "two letters of the other alphabet"
    );
    // Look-alike letters change script every letter or two: one word,
    // whole or inside a longer one.
    assert_eq!(
        one("Саrtiеr"),
        (CARTIER, Evidence::TextObfuscated, "Саrtiеr")
    );
    assert!(found("Cartiеrville").is_empty());
    assert!(found("Diorаmа kit").is_empty());
}

#[test]
fn the_union_sign_is_leet_for_u() {
    assert_eq!(
        one("Lo∪is V∪itton"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "Lo∪is V∪itton")
    );
    assert!(found("A∪B").is_empty());
}

#[test]
fn the_logical_or_is_leet_for_v() {
    for text in ["Fore∨er21 dress", "Fore⋁er21 dress"] {
        let shown = text.trim_end_matches(" dress");
        assert_eq!(one(text), (FOREVER21, Evidence::TextObfuscated, shown));
    }
    assert_eq!(fold_obfuscated("Men ∨ Women, A∨B"), "rnen wornen avb");
    // The element-of and subset signs for `e` and `c` too.
    assert_eq!(fold_obfuscated("D∈lux, x ∈ Set"), "delux x set");
    assert_eq!(
        one("Carti∈r ring"),
        (CARTIER, Evidence::TextObfuscated, "Carti∈r")
    );
    assert_eq!(
        one("⊂artier ring"),
        (CARTIER, Evidence::TextObfuscated, "⊂artier")
    );
}

#[test]
fn letters_of_upside_down_text_written_upright_are_leet() {
    // Upside-down text writes `∩` for a turned `U`, `˥` and `⅂` for a
    // turned `L`, `∀` for a turned `A`; upright, inside a word, they are
    // drawn as the letters `n`, `l`, `l` and `a`.
    assert_eq!(
        one("Mo∩tblanc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Mo∩tblanc")
    );
    assert_eq!(
        one("Mo⋂tb˥anc pen"),
        (MONTBLANC, Evidence::TextObfuscated, "Mo⋂tb˥anc")
    );
    assert_eq!(one("Ch⅂oé bag"), (CHLOE, Evidence::TextObfuscated, "Ch⅂oé"));
    assert_eq!(
        one("C∀rtier ring"),
        (CARTIER, Evidence::TextObfuscated, "C∀rtier")
    );
    // At a word's start too, as `©` is (and the tone bar at its end).
    assert_eq!(
        one("˥ouis Vuitton bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "˥ouis Vuitton")
    );
    assert_eq!(
        one("∀pple watch"),
        (APPLE, Evidence::TextObfuscated, "∀pple")
    );
    let index =
        BrandIndex::build([entry(1, &["Nerio"], &[]), entry(2, &["Kestrel"], &[])]).expect("index");
    let strong = |text: &str| -> Vec<u32> {
        scan_with(&index, text)
            .into_iter()
            .filter(|m| m.evidence == Evidence::TextObfuscated)
            .map(|m| m.brand)
            .collect()
    };
    assert_eq!(strong("∩erio charger"), [1]);
    assert_eq!(strong("Kestre˥ jacket"), [2]);
    // The turned capital `V`, drawn as the Greek `Λ`, is an `A` upright;
    // its small form stays a turned `v`.
    assert_eq!(
        one("CɅRTIER ring"),
        (CARTIER, Evidence::TextObfuscated, "CɅRTIER")
    );
    assert_eq!(fold_obfuscated("ɅURELLE ʌᴉʞɥ"), "aurelle vlkh");
    // Between spaces they are set theory's and phonetics' signs.
    assert_eq!(
        fold_obfuscated("Men ∩ Women, ∀ set, ma˥"),
        "rnen wornen set rna"
    );
    // Upside-down text is still read backwards with them.
    assert_eq!(
        one("uoʇʇᴉnΛ sᴉno˥ bag"),
        (LOUIS_VUITTON, Evidence::TextObfuscated, "uoʇʇᴉnΛ sᴉno˥")
    );
}

#[test]
fn hangul_syllables_are_no_latin_letters() {
    // NFKD writes a syllable as its jamo; UTS #39 reads the initial `ᄋ`
    // as `o`, which made a syllable glued after a Latin word, as Korean
    // particles and words are, that word's last letter.
    let index =
        BrandIndex::build([entry(1, &["Lumo"], &[]), entry(2, &["Nerio"], &[])]).expect("index");
    for text in [
        "LUM안경 블루라이트 차단",
        "Lum이어폰",
        "NERI오일 100ml",
        "Neri의 신작",
    ] {
        let strong: Vec<_> = scan_with(&index, text)
            .into_iter()
            .filter(|m| !matches!(m.evidence, Evidence::TextFuzzy { .. }))
            .collect();
        assert!(strong.is_empty(), "{text}: {strong:?}");
    }
    assert!(
        fold_obfuscated("안 이 오 을 용")
            .chars()
            .all(|c| !c.is_ascii_alphanumeric()),
    );
    // The jamo written alone beside Latin letters are still read.
    assert_eq!(fold_obfuscated("Kestreㅣ, Lumㅇ"), "kestrel lurno");
    assert_eq!(scan_with(&index, "Lumㅇ earbuds").len(), 1);
    // Korean text still finds a name written in it.
    assert_eq!(scan_with(&index, "정품 Lumo 이어폰").len(), 1);
}

#[test]
fn nine_is_no_leet() {
    // Read as `g`, it made short names of model numbers and sizes (`L9` as
    // `LG`, `U99` as `UGG`, `G9` as `GG`).
    assert_eq!(
        fold_obfuscated("Li Auto L9, U99 boots, Lumix G9"),
        "ll auto l9 u99 boots lurnlx g9"
    );
}

#[test]
fn every_mention_is_reported_once() {
    let all = found("Cartier CARTIER Cаrtier");
    assert_eq!(
        all,
        [
            (CARTIER, Evidence::TextExact, "Cartier"),
            (CARTIER, Evidence::TextExact, "CARTIER"),
            (CARTIER, Evidence::TextObfuscated, "Cаrtier"),
        ]
    );
    let all = found("Louis Vuitton LV 路易威登 Dior");
    let brands: Vec<u32> = all.iter().map(|m| m.0).collect();
    assert_eq!(brands, [LOUIS_VUITTON, LOUIS_VUITTON, LOUIS_VUITTON, DIOR]);
}

#[test]
fn matched_term_is_the_registered_name() {
    let m = &scan("C4rtier")[0];
    assert_eq!(INDEX.term(m.name), "Cartier");
    assert_eq!(INDEX.brand_of(m.name), Some(CARTIER));
    let m = &scan("卡地亚")[0];
    assert_eq!(INDEX.term(m.name), "卡地亚");
}

// --- fuzzy ---------------------------------------------------------------

/// Every match of `index` in `text`: (brand, evidence, surface form).
fn found_in(index: &BrandIndex, text: &str) -> Vec<(u32, Evidence, String)> {
    let mut out = Vec::new();
    index.scan_text(text, &mut out);
    out.into_iter()
        .map(|m| (m.brand, m.evidence, text[m.span].to_owned()))
        .collect()
}

/// A direct anchor of 4 letters lists names of up to 9: runs of up to 11
/// letters (distance 2), of two or three words, still reach them, and
/// longer ones are not looked up for them.
#[test]
fn a_direct_anchor_reaches_runs_two_letters_longer_than_its_longest_name() {
    let index = BrandIndex::build([entry(1, &["Swarovski"], &[])]).expect("index builds");
    let fuzzy = Evidence::TextFuzzy { distance: 2 };
    assert_eq!(
        found_in(&index, "Swar ovskixx crystal"),
        [(1, fuzzy, "Swar ovskixx".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Swar ov skixx crystal"),
        [(1, fuzzy, "Swar ov skixx".to_owned())]
    );
    assert_eq!(found_in(&index, "Swar ovskixxx crystal"), []);
}

/// A word that begins more names than a direct anchor lists (`bella`,
/// five names) anchors a probe of the rest of the run instead.
#[test]
fn a_shared_anchor_finds_runs_by_probing_the_rest() {
    let names = [
        "Bellamore",
        "Bellavita",
        "Bellaluna",
        "Bellarosa",
        "Bellanova",
    ];
    let entries = names
        .iter()
        .zip(1..)
        .map(|(name, id)| entry(id, &[name], &[]));
    let index = BrandIndex::build(entries).expect("index builds");
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    assert_eq!(
        found_in(&index, "Bella vitq scarf"),
        [(2, fuzzy, "Bella vitq".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Bella lu nq scarf"),
        [(3, fuzzy, "Bella lu nq".to_owned())]
    );
}

#[test]
fn misspellings_are_fuzzy() {
    assert_eq!(
        one("Cartiier ring"),
        (CARTIER, Evidence::TextFuzzy { distance: 1 }, "Cartiier")
    );
    assert_eq!(
        one("Catrier ring"),
        (CARTIER, Evidence::TextFuzzy { distance: 1 }, "Catrier"),
        "transposition"
    );
    assert_eq!(
        one("Mont Blanq pen"),
        (MONTBLANC, Evidence::TextFuzzy { distance: 1 }, "Mont Blanq")
    );
    assert_eq!(
        one("Montblnaq pen"),
        (MONTBLANC, Evidence::TextFuzzy { distance: 2 }, "Montblnaq")
    );
    assert_eq!(
        one("Luois Vuiton"),
        (
            LOUIS_VUITTON,
            Evidence::TextFuzzy { distance: 2 },
            "Luois Vuiton"
        )
    );
    assert_eq!(
        one("Cаrtiier"),
        (CARTIER, Evidence::TextFuzzy { distance: 1 }, "Cаrtiier"),
        "confusable + typo"
    );
}

#[test]
fn fuzzy_respects_the_distance_limits() {
    assert!(
        found("Caartiier ring").is_empty(),
        "7 letters allow distance 1 only"
    );
    assert!(
        found("Montblnaqq").is_empty(),
        "9 letters allow distance 2 only"
    );
    assert!(
        found("Dioor Diorr Dio").is_empty(),
        "names under 5 letters get no fuzzy"
    );
}

#[test]
fn fuzzy_is_dropped_when_the_brand_has_a_stronger_match() {
    assert_eq!(
        found("Cartier Cartiier"),
        [(CARTIER, Evidence::TextExact, "Cartier")]
    );
}

/// An ordinary word as written is not a misspelt name: `steel` is not
/// `Steal` with a typo, nor `porch light` `Coachlight`. Exact matches are
/// unaffected, and a word that is not ordinary still matches, alone or in
/// a run with ordinary words.
#[test]
fn ordinary_words_are_not_misspelt_names() {
    let index = BrandIndex::build([
        entry(1, &["Steal"], &[]),
        entry(2, &["Coachlight"], &[]),
        entry(3, &["Trall"], &[]),
        entry(4, &["Cafez"], &[]),
        entry(5, &["Zelda"], &[]),
    ])
    .expect("index builds");
    for text in [
        "stainless steel strap",
        "STEEL",
        "Vintage porch light lantern",
        "coach lights",
        "mountain trail shoes",
        "café au lait",
        "cafés",
        "ST33L",
    ] {
        assert_eq!(found_in(&index, text), [], "{text}");
    }
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    assert_eq!(
        found_in(&index, "Stael bracelet"),
        [(1, fuzzy, "Stael".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Coachligt porch lantern"),
        [(2, fuzzy, "Coachligt".to_owned())]
    );
    assert_eq!(
        found_in(&index, "coach lihgt"),
        [(2, fuzzy, "coach lihgt".to_owned())],
        "a run with one word that is not ordinary"
    );
    assert_eq!(
        found_in(&index, "Steal"),
        [(1, Evidence::TextExact, "Steal".to_owned())]
    );
    assert_eq!(
        found_in(&index, "coach light"),
        [(2, Evidence::TextObfuscated, "coach light".to_owned())],
        "ordinary words that join into the name exactly"
    );
    assert_eq!(
        found_in(&index, "Zeida shoes"),
        [(5, fuzzy, "Zeida".to_owned())],
        "an i read as an l, in a word that is not ordinary"
    );
}

/// Words that are one brand's name as written are not also a misspelling
/// of another's: fuzzy matches inside an exact or obfuscated match's span
/// are dropped, whatever the brand. A run reaching past it still counts.
#[test]
fn a_registered_name_as_written_is_not_a_misspelling_of_another() {
    let index = BrandIndex::build([
        entry(1, &["Flais"], &[]),
        entry(2, &["Plais"], &[]),
        entry(3, &["Flaistrip"], &[]),
    ])
    .expect("index builds");
    assert_eq!(
        found_in(&index, "Flais bag"),
        [(1, Evidence::TextExact, "Flais".to_owned())]
    );
    assert_eq!(
        found_in(&index, "F.l.a.i.s bag"),
        [(1, Evidence::TextObfuscated, "F.l.a.i.s".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Flais trap"),
        [
            (1, Evidence::TextExact, "Flais".to_owned()),
            (
                3,
                Evidence::TextFuzzy { distance: 1 },
                "Flais trap".to_owned()
            ),
        ]
    );
    let fuzzy = Evidence::TextFuzzy { distance: 1 };
    assert_eq!(
        found_in(&index, "Blais bag"),
        [
            (1, fuzzy, "Blais".to_owned()),
            (2, fuzzy, "Blais".to_owned())
        ],
        "a word that is no name stays fuzzy for every name near it"
    );
}

/// Brand `id` of `owner` with `names`.
fn owned(id: u32, names: &[&str], owner: u32) -> BrandEntry {
    BrandEntry {
        owner,
        ..entry(id, names, &[])
    }
}

/// Every match of a layered scan of `text`: (brand, evidence, surface form).
fn found_in_layers<'t>(layers: &Layers<'_>, text: &'t str) -> Vec<(u32, Evidence, &'t str)> {
    let mut out = Vec::new();
    layers.scan_text_with(text, ScanOptions::default(), &mut out);
    out.into_iter()
        .map(|m| (m.brand, m.evidence, &text[m.span]))
        .collect()
}

/// A word written as one brand's name is a misspelling of another owner's
/// name unless the name's brand hides it (for a listing: is in scope, and
/// was named before the other brand was registered), and never of its own
/// owner's: no member takes another's misspellings out of review by
/// registering them as names of its own.
#[test]
fn a_name_hides_another_owners_names_only_where_its_brand_does() {
    let index = BrandIndex::build([
        BrandEntry {
            registered: 100,
            ..owned(1, &["Lykai"], 10)
        },
        BrandEntry {
            registered: 200,
            ..owned(2, &["Clykai"], 20)
        },
        owned(3, &["Lykaio"], 10),
    ])
    .expect("index builds");
    let layers = Layers {
        base: &index,
        retired: &[],
        overlay: None,
    };
    let text = "black Lykai watch";
    let found = |hides: &dyn Fn(u32) -> Option<i64>| {
        let (mut out, mut signals) = (Vec::new(), Vec::new());
        layers.scan_text_and_signals(text, &mut out, &mut signals, hides);
        out.into_iter()
            .map(|m| (m.brand, m.evidence, &text[m.span]))
            .collect::<Vec<_>>()
    };
    let named = (1, Evidence::TextExact, "Lykai");
    assert_eq!(found(&|_| Some(i64::MIN)), [named]);
    assert_eq!(found(&|b| (b == 1).then_some(i64::MIN)), [named]);
    let misspelt = (2, Evidence::TextFuzzy { distance: 1 }, "Lykai");
    assert_eq!(found(&|_| None), [named, misspelt]);
    assert_eq!(found(&|b| (b != 1).then_some(i64::MIN)), [named, misspelt]);
    // The order of registration: `Lykai` hides misspellings of brands
    // registered since the time it gives, `Clykai` (at 200) among them up
    // to 200, not after; its own owner's `Lykaio` (at 0) whatever it gives.
    assert_eq!(found(&|b| (b == 1).then_some(150)), [named]);
    assert_eq!(found(&|b| (b == 1).then_some(200)), [named]);
    assert_eq!(found(&|b| (b == 1).then_some(201)), [named, misspelt]);
    // A scan without a listing: every name hides.
    assert_eq!(
        found_in(&index, text),
        [(1, Evidence::TextExact, "Lykai".to_owned())]
    );
}

/// A word written as one brand's name is no misspelling of another
/// owner's name, also where that name is reported only as part of a longer
/// name of its brand (`Lykai` in `Lykai Prios`); a name of a brand a
/// layered scan retires hides nothing.
#[test]
fn a_name_inside_a_longer_name_of_its_brand_is_no_misspelling_of_another() {
    let index = BrandIndex::build([
        owned(1, &["Lykai Prios", "Lykai"], 10),
        owned(2, &["Clykai"], 20),
    ])
    .expect("index builds");
    let text = "black Lykai Prios watch";
    assert_eq!(
        found_in(&index, text),
        [(1, Evidence::TextExact, "Lykai Prios".to_owned())]
    );
    assert_eq!(
        found_in(&index, "black Lykai watch"),
        [(1, Evidence::TextExact, "Lykai".to_owned())]
    );
    let layers = Layers {
        base: &index,
        retired: &[1],
        overlay: None,
    };
    assert_eq!(
        found_in_layers(&layers, text),
        [(2, Evidence::TextFuzzy { distance: 1 }, "Lykai")],
        "the retired brand's names hide no other brand"
    );
    // The two brands in the two layers of a layered scan, either way
    // round: the same answer as one index.
    let a = BrandIndex::build([owned(1, &["Lykai Prios", "Lykai"], 10)]).expect("index builds");
    let b = BrandIndex::build([owned(2, &["Clykai"], 20)]).expect("index builds");
    for (base, overlay) in [(&a, &b), (&b, &a)] {
        let layers = Layers {
            base,
            retired: &[],
            overlay: Some(overlay),
        };
        assert_eq!(
            found_in_layers(&layers, text),
            [(1, Evidence::TextExact, "Lykai Prios")]
        );
    }
}

/// A layered scan joins and splits the fold once for both layers: the
/// second layer reads what the first read, also after the first read a
/// leet symbol's word another way (`@urelle`, which the reading writes out
/// beside the joined fold), and answers as one index over both.
#[test]
fn both_layers_read_one_fold_as_one_index_would() {
    let a = BrandIndex::build([owned(1, &["Aurelle"], 10)]).expect("index builds");
    let b = BrandIndex::build([owned(2, &["Lumo"], 20), owned(3, &["Verlaine"], 20)])
        .expect("index builds");
    let both = BrandIndex::build([
        owned(1, &["Aurelle"], 10),
        owned(2, &["Lumo"], 20),
        owned(3, &["Verlaine"], 20),
    ])
    .expect("index builds");
    for text in ["@urelle bag by Lumo, Verlain scarf", "Lumo @urelle Verlain"] {
        let expected = found_in(&both, text);
        assert_eq!(expected.len(), 3, "{text}: {expected:?}");
        for (base, overlay) in [(&a, &b), (&b, &a)] {
            let layers = Layers {
                base,
                retired: &[],
                overlay: Some(overlay),
            };
            let found: Vec<_> = found_in_layers(&layers, text)
                .into_iter()
                .map(|(brand, evidence, written)| (brand, evidence, written.to_owned()))
                .collect();
            assert_eq!(found, expected, "{text}");
        }
    }
}

/// A layered scan's overlay looks each word up by the number the base's
/// memo gave it. When the base's memo empties and numbers words afresh,
/// the overlay's forgets its lookups too: else a new word would get the
/// lookup of the word that had its number before (`quentaru`, a misspelling
/// of the overlay's `Quentaro`).
#[test]
fn an_overlay_forgets_its_lookups_when_the_base_numbers_words_afresh() {
    let base = BrandIndex::build([owned(1, &["Aurelle"], 10)]).expect("index builds");
    let overlay = BrandIndex::build([owned(2, &["Quentaro"], 20)]).expect("index builds");
    let layers = Layers {
        base: &base,
        retired: &[],
        overlay: Some(&overlay),
    };
    // A thread of its own: its memos start empty, so `quentaru` is the
    // base memo's word number 0.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let fuzzy = Evidence::TextFuzzy { distance: 1 };
                assert_eq!(
                    found_in_layers(&layers, "quentaru"),
                    [(2, fuzzy, "quentaru")]
                );
                // One new word a text (`xvaaaa`, `xvaaab`, …), until the base's
                // memo has emptied and numbered words from 0 again.
                for i in 0..super::index::MEMO_WORDS + 10 {
                    let letters: String = (0..4)
                        .rev()
                        .map(|place| {
                            let letter = i / 26usize.pow(place) % 26;
                            char::from(b'a' + u8::try_from(letter).expect("below 26"))
                        })
                        .collect();
                    let word = format!("xv{letters}");
                    assert_eq!(found_in_layers(&layers, &word), [], "{word}");
                }
                assert_eq!(
                    found_in_layers(&layers, "quentaru"),
                    [(2, fuzzy, "quentaru")]
                );
            })
            .join()
            .expect("scan thread");
    });
}

/// A name inside a longer name of another owner's brand is still reported
/// (the listing check decides by the longer brand's scope): a member cannot
/// hide another's brand by registering a name around it (`Vellano Bag`
/// around `Vellano`).
#[test]
fn a_name_inside_a_longer_name_of_another_owner_is_still_reported() {
    let index = BrandIndex::build([
        owned(1, &["Vellano"], 1),
        owned(2, &["Aurelle", "Vellano Bag"], 2),
        owned(3, &["Vellano Bags Outlet"], 1),
        owned(4, &["维拉诺"], 1),
        owned(5, &["维拉诺包"], 2),
    ])
    .expect("index builds");
    let exact = Evidence::TextExact;
    assert_eq!(
        found_in(&index, "Vellano bag black leather"),
        [
            (1, exact, "Vellano".to_owned()),
            (2, exact, "Vellano bag".to_owned())
        ]
    );
    assert_eq!(
        found_in(&index, "V.e.l.l.a.n.o bag"),
        [
            (1, Evidence::TextObfuscated, "V.e.l.l.a.n.o".to_owned()),
            (2, Evidence::TextObfuscated, "V.e.l.l.a.n.o bag".to_owned())
        ]
    );
    assert_eq!(
        found_in(&index, "维拉诺包 黑色"),
        [
            (4, exact, "维拉诺".to_owned()),
            (5, exact, "维拉诺包".to_owned())
        ]
    );
    // A misspelling around another owner's name hides nothing either.
    let misspelt = BrandIndex::build([owned(1, &["Vellano"], 1), owned(2, &["Velano Bag"], 2)])
        .expect("index builds");
    assert_eq!(
        found_in(&misspelt, "Velano bag black leather"),
        [
            (2, exact, "Velano bag".to_owned()),
            (1, Evidence::TextFuzzy { distance: 1 }, "Velano".to_owned())
        ]
    );
    // The same owner's longer name still hides its shorter one; another
    // owner's name inside it counts.
    assert_eq!(
        found_in(&index, "Vellano Bags Outlet sale"),
        [(3, exact, "Vellano Bags Outlet".to_owned())]
    );
}

/// A name inside a longer name of another brand, as written, is that
/// brand's name, not a mention of the shorter one: `路易` (CJK, found
/// anywhere) inside `路易威登`, `Blanc` inside `Mont Blanc` joined. Names
/// side by side, or spanning the same text, all count.
#[test]
fn a_name_inside_a_longer_name_of_another_brand_is_not_a_mention() {
    let index = BrandIndex::build([
        entry(1, &["Louis Vuitton", "路易威登"], &[]),
        entry(2, &["路易"], &[]),
        entry(3, &["Montblanc"], &[]),
        entry(4, &["Blanc"], &[]),
        entry(5, &["Vuitton"], &[]),
        entry(6, &["路易威登"], &[]),
        entry(7, &["Flais"], &[]),
        entry(8, &["Lais"], &[]),
    ])
    .expect("index builds");
    let exact = Evidence::TextExact;
    assert_eq!(
        found_in(&index, "路易威登手袋"),
        [
            (1, exact, "路易威登".to_owned()),
            (6, exact, "路易威登".to_owned())
        ],
        "two brands with the same name both count"
    );
    assert_eq!(
        found_in(&index, "路易 手袋"),
        [(2, exact, "路易".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Louis Vuitton bag"),
        [(1, exact, "Louis Vuitton".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Mont Blanc pen"),
        [(3, Evidence::TextObfuscated, "Mont Blanc".to_owned())]
    );
    assert_eq!(
        found_in(&index, "F.l.a.i.s bag"),
        [(7, Evidence::TextObfuscated, "F.l.a.i.s".to_owned())],
        "separated letters join into the longer name only"
    );
    assert_eq!(
        found_in(&index, "Lais bag"),
        [(8, exact, "Lais".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Blanc and Vuitton"),
        [
            (4, exact, "Blanc".to_owned()),
            (5, exact, "Vuitton".to_owned())
        ]
    );
}

#[test]
fn the_vocabulary_holds_english_words_folded_as_listings_are() {
    let index = BrandIndex::build([entry(1, &["Cartier"], &[])]).expect("index builds");
    // `carrier` is within distance 1 of `Cartier`; `carriers` is not.
    assert_eq!(found_in(&index, "baby carrier"), []);
    assert_eq!(found_in(&index, "Baby CARRIER"), []);
    assert_eq!(
        found_in(&index, "Cartierr"),
        [(
            1,
            Evidence::TextFuzzy { distance: 1 },
            "Cartierr".to_owned()
        )]
    );
}

// --- compatibility phrases, declared brand, logos -----------------------------

#[test]
fn compatibility_phrase_before_a_mention_is_flagged() {
    let flagged = |text: &str| {
        scan(text)
            .iter()
            .map(|m| m.nominative_use)
            .collect::<Vec<_>>()
    };
    assert_eq!(flagged("Case for iPhone"), [true]);
    assert_eq!(flagged("Strap compatible with Apple watch"), [true]);
    assert_eq!(flagged("fits: Montblanc pens"), [true]);
    assert_eq!(flagged("手机壳适用于iPhone"), [true]);
    // A determiner may stand between (`strap for your …`), one only.
    assert_eq!(flagged("Strap for your Cartier watch"), [true]);
    assert_eq!(flagged("fits most Montblanc pens"), [true]);
    assert_eq!(flagged("Case for the the iPhone"), [false]);
    assert_eq!(flagged("Case the iPhone"), [false]);
    assert_eq!(flagged("Cases for other iPhone"), [false]);
    // `for` after a maker's word claims the goods are the brand's; `made
    // for` is an accessory's.
    assert_eq!(flagged("OEM factory for Cartier, automatic"), [false]);
    assert_eq!(flagged("OEM for the Cartier"), [false]);
    assert_eq!(flagged("Supplier for Montblanc pens"), [false]);
    assert_eq!(flagged("Strap made for Cartier watches"), [true]);
    assert_eq!(flagged("Refill made of steel for Montblanc pens"), [true]);
    assert_eq!(flagged("Watch box for Cartier collectors"), [true]);
    // Only DESIGN.md's phrases, as sellers write them, weaken a mention.
    assert_eq!(flagged("兼容 iPhone"), [true]);
    assert_eq!(flagged("iPhone compatible case"), [true]);
    assert_eq!(flagged("Case works with iPhone"), [false]);
    assert_eq!(flagged("iPhone case"), [false]);
    assert_eq!(
        flagged("platform iPhone"),
        [false],
        "\"for\" must be a whole word"
    );
}

#[test]
fn declared_brand_equals_a_name_after_normalization() {
    assert_eq!(INDEX.declared_brand("CHLOE"), Some(CHLOE));
    assert_eq!(INDEX.declared_brand(" chloé "), Some(CHLOE));
    assert_eq!(INDEX.declared_brand("Cаrtier"), Some(CARTIER));
    assert_eq!(INDEX.declared_brand("louis-vuitton"), Some(LOUIS_VUITTON));
    assert_eq!(INDEX.declared_brand("卡地亚"), Some(CARTIER));
    assert_eq!(
        INDEX.declared_brand("Cartier watch"),
        None,
        "equality, not containment"
    );
    assert_eq!(
        INDEX.declared_brand("Cartiier"),
        None,
        "no fuzzy on the brand field"
    );
    assert_eq!(INDEX.declared_brand("Ch1oé"), Some(CHLOE));
    assert_eq!(INDEX.declared_brand("Chioé"), None, "i is not l");
    assert_eq!(INDEX.declared_brand("Di or"), Some(DIOR));
    assert_eq!(INDEX.declared_brand(""), None);
}

#[test]
fn logos_match_within_hamming_distance_ten() {
    let logo = 0xF0F0_F0F0_F0F0_F0F0u64;
    let mut out = Vec::new();
    INDEX.scan_logos(
        &[logo, logo ^ 0b1111, logo ^ 0x3FF, logo ^ 0x7FF, 0],
        &mut out,
    );
    assert_eq!(
        out,
        [
            LogoMatch {
                brand: CARTIER,
                logo: 0,
                hash_index: 0,
                distance: 0
            },
            LogoMatch {
                brand: CARTIER,
                logo: 0,
                hash_index: 1,
                distance: 4
            },
            LogoMatch {
                brand: CARTIER,
                logo: 0,
                hash_index: 2,
                distance: 10
            },
        ]
    );
    assert!(Evidence::Logo { distance: 4 }.is_strong());
    assert!(!Evidence::Logo { distance: 5 }.is_strong());
    assert!(!Evidence::TextFuzzy { distance: 1 }.is_strong());
    assert!(Evidence::TextObfuscated.is_strong());
}

#[test]
fn a_logo_match_names_the_closest_of_the_brand_logos() {
    let (first, second) = (0x0123_4567_89AB_CDEFu64, 0xFEDC_BA98_7654_3210u64);
    let index = BrandIndex::build([BrandEntry {
        id: 7,
        names: vec!["Zephyrine".into()],
        logos: vec![first, second],
        owner: 0,
        registered: 0,
    }])
    .expect("index");
    let mut out = Vec::new();
    index.scan_logos(&[second ^ 0b11, first ^ 0b1], &mut out);
    let found: Vec<(usize, usize, u32)> = out
        .iter()
        .map(|m| (m.hash_index, m.logo, m.distance))
        .collect();
    assert_eq!(found, [(0, 1, 2), (1, 0, 1)]);
}

#[test]
fn empty_and_odd_inputs_find_nothing() {
    for text in [
        "",
        " ",
        "!!!",
        "\u{200B}\u{200B}",
        "\u{301}",
        "a b c d e f",
        "🙂🙂",
    ] {
        assert!(found(text).is_empty(), "{text:?}");
    }
    let empty = BrandIndex::build([]).expect("empty index");
    let mut out = Vec::new();
    empty.scan_text("Cartier", &mut out);
    assert!(out.is_empty());
    assert!(empty.declared_brand("Cartier").is_none());
}

#[test]
fn the_index_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<BrandIndex>();
    let found = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| scan("C4rtier").len())).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .sum::<usize>()
    });
    assert_eq!(found, 2);
}

/// A scan on a thread that has never scanned (no memo of word lookups).
fn scan_fresh(index: &'static BrandIndex, text: &'static str) -> Vec<TextMatch> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        index.scan_text(text, &mut out);
        out
    })
    .join()
    .expect("scan thread")
}

#[test]
fn the_memo_remembers_short_long_and_non_latin_words_alike() {
    // Keys of short Latin-1 words are kept inline (the other tests), others
    // boxed: a word over 30 letters, `þ` whose code is a marker's byte,
    // Cyrillic. Here every word's and every pair's key is boxed: each is
    // found again, and answers as a fresh lookup.
    let long = "Cartirr".repeat(6);
    let text: &'static str =
        Box::leak(format!("þCartirr {long} Cartirrжж Montblanþ").into_boxed_str());
    let fresh = scan_fresh(&INDEX, text);
    std::thread::spawn(move || {
        assert_eq!(scan(text), fresh);
        let (hits, _) = BrandIndex::word_memo_counts();
        for _ in 0..3 {
            assert_eq!(scan(text), fresh);
        }
        // Every single word is answered by the memo, from a boxed key.
        let (again, _) = BrandIndex::word_memo_counts();
        let words = text.split_whitespace().count();
        assert!(again - hits >= 3 * words as u64, "{hits} then {again}");
    })
    .join()
    .expect("scan thread");
}

#[test]
fn remembered_word_lookups_answer_as_fresh_ones() {
    static OTHER: LazyLock<BrandIndex> = LazyLock::new(|| {
        BrandIndex::build([
            entry(CARTIER, &["Cartiez"], &[]),
            entry(DIOR, &["Montblanx"], &[]),
        ])
        .expect("other index builds")
    });
    let text = "Cartirr watch, Montblanq pen, Cartier box, Mont Blanx ink, Luois Vuiton bag";
    let fresh = scan_fresh(&INDEX, text);
    assert!(
        fresh
            .iter()
            .any(|m| matches!(m.evidence, Evidence::TextFuzzy { .. })),
        "{fresh:?}"
    );
    assert!(
        fresh.iter().any(|m| text[m.span.clone()].contains(' ')),
        "a run of several words matches: {fresh:?}"
    );
    // The same words again on one thread, on the index and on another
    // index: the memo of the first must not answer for the second.
    for _ in 0..3 {
        assert_eq!(scan(text), fresh);
        let mut out = Vec::new();
        OTHER.scan_text(text, &mut out);
        assert_eq!(out, scan_fresh(&OTHER, text));
    }
    // Fuzzy over single words only keeps lookups of its own.
    let mut single = Vec::new();
    INDEX.scan_text_with(text, ScanOptions { fuzzy_max_words: 1 }, &mut single);
    let fresh_single = std::thread::spawn(move || {
        let mut out = Vec::new();
        INDEX.scan_text_with(text, ScanOptions { fuzzy_max_words: 1 }, &mut out);
        out
    })
    .join()
    .expect("scan thread");
    assert_eq!(single, fresh_single);
    // More distinct words and runs than the memo holds: it empties and
    // goes on.
    let mut out = Vec::new();
    for i in 0..(super::index::MEMO_WORDS.max(super::run_memo::MEMO_RUNS) + 100) {
        INDEX.scan_text(&format!("w{i:x}q v{i:x}z"), &mut out);
    }
    assert_eq!(scan(text), fresh);
}

#[test]
fn memory_is_reported() {
    assert!(INDEX.memory_bytes() > 0);
    assert_eq!(INDEX.name_count(), 19);
    assert_eq!(INDEX.logo_count(), 2);
}

// --- properties ------------------------------------------------------------

/// Listing-like text: names, obfuscations, misspellings, filler words and
/// CJK, joined by separators.
fn listing_text() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "Cartier",
        "CARTIER",
        "C4rtier",
        "Cаrtier",
        "Cartiier",
        "C.a.r.t.i.e.r",
        "Montblanc",
        "Mont Blanq",
        "M0ntblanc",
        "Chloé",
        "CHLOE",
        "Chloeria",
        "LouisVuitton",
        "Louis Vuitton",
        "LV",
        "Dior",
        "Gucci",
        "グッチ",
        "卡地亚",
        "正品",
        "for",
        "case",
        "iPhone",
        "watch",
        "ring",
        "new",
        "a",
        "b",
        "x",
        "2024",
        "G-Shock",
        "Van Cleef & Arpels",
        "replica",
        "AAA+",
        "高仿",
        "1:1",
    ]);
    let sep = prop::sample::select(vec![" ", " ", " ", ", ", " - ", "/", "", "\u{200B}"]);
    prop::collection::vec((token, sep), 0..10).prop_map(|parts| {
        let mut text = String::new();
        for (token, sep) in parts {
            text.push_str(token);
            text.push_str(sep);
        }
        text
    })
}

fn evidence_set(text: &str) -> Vec<(u32, Evidence)> {
    let mut set: Vec<(u32, Evidence)> = scan(text)
        .into_iter()
        .map(|m| (m.brand, m.evidence))
        .collect();
    set.sort_by_key(|&(brand, evidence)| (brand, evidence.rank()));
    set
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Scanning and finding signal terms on one fold of a text finds what
    /// the two do on their own.
    #[test]
    fn one_fold_finds_what_two_do(text in listing_text()) {
        let mut out = Vec::new();
        let mut signals = Vec::new();
        INDEX.scan_text_and_signals(&text, &mut out, &mut signals);
        prop_assert_eq!(&out, &scan(&text));
        let names: Vec<_> = out.iter().map(|m| m.span.clone()).collect();
        prop_assert_eq!(signals, signal_terms(&text, &names));
    }

    #[test]
    fn scanning_arbitrary_unicode_never_panics_and_spans_are_char_boundaries(text in "\\PC{0,64}") {
        for m in scan(&text) {
            prop_assert!(m.span.start < m.span.end && m.span.end <= text.len());
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        }
        let _ = INDEX.declared_brand(&text);
        let _ = signal_terms(&text, &[]);
    }

    /// The second readings (leet symbols, Greek and Cyrillic look-alikes)
    /// on texts made mostly of what they read: names, symbols at word
    /// edges and inside words, fancy letters, marks, CJK, and bidi controls
    /// that show them in another order.
    #[test]
    fn other_readings_never_panic_and_spans_are_char_boundaries(
        text in "([@|$+!]{0,2}(Cartier|Dior|Gucc|Lu|mo|САЯТІЕЯ|ΜΟΝΤΒLΛΝС|Я|ΛΞ|é|\u{301}|卡地亚|1|0|\u{202E}|\u{202C}|\u{2067}|\u{2069}|א)[@|$+!]{0,2}[ .,]?){1,8}",
    ) {
        for m in scan(&text) {
            prop_assert!(m.span.start < m.span.end && m.span.end <= text.len());
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        }
    }

    #[test]
    fn any_chars_never_panic(text in any::<String>()) {
        for m in scan(&text) {
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        }
        // A name at the end, so a term that introduces one is judged too.
        let names = vec![std::ops::Range { start: text.len(), end: text.len() }];
        for r in signal_terms(&text, &names) {
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        }
    }

    #[test]
    fn every_folded_byte_maps_to_char_boundaries(text in any::<String>()) {
        for level in [Level::Exact, Level::Obfuscation] {
            let mut f = FoldedText::new();
            f.fold(&text, level);
            for i in 0..f.len() {
                let span = f.original_span(i..i + 1);
                prop_assert!(span.end <= text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }

    #[test]
    fn reordered_folds_map_back_to_char_boundaries(
        text in "([a-zé奥 .]|\u{202E}|\u{202C}|\u{2069}|\u{200B}|\u{3164}|Cartier|reitraC){0,24}"
    ) {
        let mut f = FoldedText::new();
        f.fold(&text, Level::Obfuscation);
        for i in 0..f.len() {
            for j in i + 1..=f.len() {
                let span = f.original_span(i..j);
                prop_assert!(span.end <= text.len());
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
        for m in scan(&text) {
            prop_assert!(text.get(m.span.clone()).is_some_and(|s| !s.is_empty()), "{m:?}");
        }
    }

    #[test]
    fn listing_spans_are_char_boundaries(text in listing_text()) {
        for m in scan(&text) {
            prop_assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
            prop_assert!(!text[m.span.clone()].trim().is_empty());
        }
    }

    #[test]
    fn detection_ignores_ascii_case(text in listing_text(), flips in prop::collection::vec(any::<bool>(), 64)) {
        let flipped: String = text
            .chars()
            .enumerate()
            .map(|(i, c)| if flips[i % flips.len()] && c.is_ascii_alphabetic() {
                if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }
            } else { c })
            .collect();
        prop_assert_eq!(evidence_set(&text), evidence_set(&flipped), "{:?} vs {:?}", text, flipped);
    }

    /// Separators added inside a name's words keep it found, and strong:
    /// whole adjacent words join.
    #[test]
    fn splitting_a_word_keeps_a_strong_match(text in listing_text(), which in any::<prop::sample::Index>()) {
        let Some(m) = scan(&text).into_iter().find(|m| m.evidence.is_strong()) else {
            return Ok(());
        };
        // Cut between two ASCII letters of the mention.
        let span = &text[m.span.clone()];
        let cuts: Vec<usize> = span
            .char_indices()
            .zip(span.chars().skip(1))
            .filter(|&((_, a), b)| a.is_ascii_alphabetic() && b.is_ascii_alphabetic())
            .map(|((i, a), _)| m.span.start + i + a.len_utf8())
            .collect();
        if !cuts.is_empty() {
            let at = cuts[which.index(cuts.len())];
            let split = format!("{} {}", &text[..at], &text[at..]);
            prop_assert!(
                scan(&split).iter().any(|n| n.brand == m.brand && n.evidence.is_strong()),
                "{:?} lost brand {} when split into {:?}", text, m.brand, split
            );
        }
    }

    #[test]
    fn detection_ignores_doubled_spaces(text in listing_text(), which in any::<prop::sample::Index>()) {
        let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
        if !spaces.is_empty() {
            let at = spaces[which.index(spaces.len())];
            let doubled = format!("{} {}", &text[..at], &text[at..]);
            prop_assert_eq!(evidence_set(&text), evidence_set(&doubled), "{:?} vs {:?}", text, doubled);
        }
    }
}

/// A match as `index::drop_matches_inside_names` sees it: span, evidence,
/// brand.
fn arbitrary_match() -> impl Strategy<Value = TextMatch> {
    (0usize..20, 1usize..8, 0u8..3, 0u32..12).prop_map(|(start, len, kind, brand)| TextMatch {
        brand,
        // Brands 0 and 1 have one owner, 2 and 3 another, and so on.
        owner: brand / 2,
        evidence: match kind {
            0 => Evidence::TextExact,
            1 => Evidence::TextObfuscated,
            _ => Evidence::TextFuzzy { distance: 1 },
        },
        name: NameId(brand),
        span: start..start + len,
        nominative_use: false,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The drop keeps exactly the matches that no exact or
    /// obfuscated match of the same owner contains: one with more text for
    /// a strong one; any, its very span too, for a fuzzy one. And it keeps
    /// their order.
    /// Up to 40 matches: past 32 its working space is on the heap.
    #[test]
    fn dropping_matches_inside_names_agrees_with_its_definition(
        mut matches in prop::collection::vec(arbitrary_match(), 0..40),
    ) {
        drop_agrees_with_definition(&mut matches)?;
    }

    /// The same for a Chinese title's crowd: up to 120 matches of 60
    /// brands on a few short spans (many brands share a short name), past
    /// what the one pass by start keeps of owners.
    #[test]
    fn dropping_matches_inside_names_in_a_crowd_agrees_with_its_definition(
        mut matches in prop::collection::vec(
            (0u32..60, 0usize..6, 1usize..4, 0u8..4)
                .prop_map(|(brand, start, len, kind)| crowd_match(brand, brand / 2, start, len, kind)),
            0..120,
        ),
    ) {
        drop_agrees_with_definition(&mut matches)?;
    }
}

/// A match of a crowd of brands' names: brand `brand` of owner `owner` at
/// `start..start + len`, exact for `kind` 0 and 1, obfuscated for 2, else
/// fuzzy.
pub(crate) fn crowd_match(brand: u32, owner: u32, start: usize, len: usize, kind: u8) -> TextMatch {
    TextMatch {
        brand,
        owner,
        evidence: match kind {
            0 | 1 => Evidence::TextExact,
            2 => Evidence::TextObfuscated,
            _ => Evidence::TextFuzzy { distance: 1 },
        },
        name: NameId(brand),
        span: start..start + len,
        nominative_use: false,
    }
}

/// Puts `matches` in the order scans report them (by span start, then
/// strongest evidence, then brand).
pub(crate) fn in_scan_order(matches: &mut [TextMatch]) {
    super::index::order(matches);
}

/// Puts `matches` in scan order, drops those inside names, and compares
/// what is kept with the definition.
fn drop_agrees_with_definition(matches: &mut Vec<TextMatch>) -> Result<(), TestCaseError> {
    in_scan_order(matches);
    let strong = |m: &TextMatch| !matches!(m.evidence, Evidence::TextFuzzy { .. });
    let expected: Vec<TextMatch> = matches
        .iter()
        .filter(|m| {
            !matches.iter().any(|s| {
                strong(s)
                    && s.span.start <= m.span.start
                    && m.span.end <= s.span.end
                    && if strong(m) {
                        s.span.len() > m.span.len() && s.owner == m.owner
                    } else {
                        s.owner == m.owner
                    }
            })
        })
        .cloned()
        .collect();
    index::drop_matches_inside_names(matches);
    prop_assert_eq!(&*matches, &expected[..]);
    Ok(())
}

/// In a name of several words, an ordinary word of the text standing for an
/// ordinary word of the name is another everyday word, not a misspelling
/// (`Aurelle shirt` is not `Aurelle Sport`); a misspelt word that is no
/// ordinary word, on either side, still is.
#[test]
fn an_everyday_word_for_an_everyday_word_of_a_name_is_not_a_misspelling() {
    let index = BrandIndex::build([
        entry(1, &["Aurelle Sport"], &[]),
        entry(2, &["Mont Blanc"], &[]),
        entry(3, &["Vellano Home Store"], &[]),
    ])
    .expect("index builds");
    for text in [
        "Aurelle shirt, cotton",
        "Aurelle shorts",
        "Vellano Home Stare",
    ] {
        assert_eq!(found_in(&index, text), [], "{text}");
    }
    let fuzzy = |d| Evidence::TextFuzzy { distance: d };
    assert_eq!(
        found_in(&index, "Aurelle Sprot tee"),
        [(1, fuzzy(1), "Aurelle Sprot".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Aurele sport tee"),
        [(1, fuzzy(1), "Aurele sport".to_owned())]
    );
    assert_eq!(
        found_in(&index, "Mont Blank pen"),
        [(2, fuzzy(1), "Mont Blank".to_owned())],
        "blanc is no ordinary word: blank is its misspelling"
    );
    assert_eq!(
        found_in(&index, "Vellano Home Stoer"),
        [(3, fuzzy(1), "Vellano Home Stoer".to_owned())]
    );
}

/// A name glued to an ordinary word after it in a hashtag (`#CartierWatch`)
/// is found, obfuscated, its span the name; not outside a hashtag (whole
/// words), nor inside an ordinary word, nor glued to a word that is not
/// one, nor a short name.
#[test]
fn a_name_glued_to_an_ordinary_word_in_a_hashtag_is_found() {
    for (text, shown) in [
        ("#CartierWatch for her", "Cartier"),
        ("#cartierlove gold", "cartier"),
        ("new #MONTBLANCpen refill", "MONTBLANC"),
        ("#GucciBag leather", "Gucci"),
        ("#applewatch band", "apple"),
        // What draws nothing after the `#`, a full-width `＃`, two words,
        // a number after them.
        ("#\u{200B}cartierwatch", "cartier"),
        ("＃cartierwatch", "cartier"),
        ("#cartierwatchstyle", "cartier"),
        ("#cartierwatch2024", "cartier"),
    ] {
        let all = found(text);
        assert_eq!(all.len(), 1, "{text}: {all:?}");
        assert_eq!(all[0].1, Evidence::TextObfuscated, "{text}");
        assert_eq!(all[0].2, shown, "{text}");
    }
    for text in [
        "CartierWatch for her",
        "#applesauce recipe book",
        "#cartierville map",
        "#Cartierxyzq ring",
        "#Diorbag leather",
        "#Guccis shoes",
        "#cartierxyzqwatch",
        "#cartierwatchxyzq",
    ] {
        let all = found(text);
        assert!(
            all.iter()
                .all(|m| matches!(m.1, Evidence::TextFuzzy { .. })),
            "{text}: {all:?}"
        );
    }
}

#[test]
fn german_fur_before_a_name_is_nominative_use_in_every_reading() {
    // The exact fold reads `für` as `fur`: the phrase is read as written.
    let weak = scan("Hülle für iPhone 15 Leder");
    assert_eq!(weak.len(), 1, "{weak:?}");
    assert!(weak[0].nominative_use, "{weak:?}");
    let obfuscated = scan("Armband für C4rtier Uhr");
    assert_eq!(obfuscated.len(), 1, "{obfuscated:?}");
    assert_eq!(obfuscated[0].evidence, Evidence::TextObfuscated);
    assert!(obfuscated[0].nominative_use, "{obfuscated:?}");
    let fuzzy = scan("Armband für Cartiier Uhr");
    assert_eq!(fuzzy.len(), 1, "{fuzzy:?}");
    assert!(fuzzy[0].nominative_use, "{fuzzy:?}");
    // The English word stays strong.
    let strong = scan("Faux fur Cartier bag");
    assert_eq!(strong.len(), 1, "{strong:?}");
    assert!(!strong[0].nominative_use, "{strong:?}");
}
